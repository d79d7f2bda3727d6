// The body of NAME.c for a training library on a GPU target (CUDA, OpenCL):
// the same tables and API as the CPU one (CTrainSource.cpp), but everything
// a step touches lives on the device. Three device allocations made in
// init: the workspace (every activation and gradient argument is a view of
// it), the parameter block (the parameter arguments are views of it) and
// the momentum buffers; plus the labels. A step uploads the images and
// labels, runs the kernels, downloads the loss (and logits when asked),
// copies the BN running statistics and applies SGD with two more kernels
// (NAME_copy, NAME_sgd: one launch per tensor). The images go up as given
// (NCHW) and a kernel (NAME_layout) writes the network's NHWC input. The host copy of the
// parameters is refreshed only when PFX_param_data asks for one.
#include "runtime/aot/CSource.h"

namespace netc::aot {

const char *trainGpuBodySource() {
  return R"C(
extern int PFX_copy_argv(void **args);
extern int PFX_sgd_argv(void **args);
extern int PFX_layout_argv(void **args);

struct PFX_model {
  halide_buffer_t buf[NUM_ARGS];
  struct halide_dimension_t dim[NUM_ARGS][MAX_RANK];
  void *argv[NUM_ARGS];
  float *block; /* host copy of the parameters: see PFX_param_data */
  int64_t steps;
  halide_buffer_t arena, params, velocity, labels; /* device allocations */
  struct halide_dimension_t arena_dim, params_dim, velocity_dim, labels_dim;
  halide_buffer_t sgd[NUM_PARAMS][3]; /* per parameter: p, gradient, momentum views */
  struct halide_dimension_t sgd_dim[NUM_PARAMS][3];
  halide_buffer_t copy[NUM_COPIES + 1][2]; /* BN statistics: workspace -> block views */
  struct halide_dimension_t copy_dim[NUM_COPIES + 1][2];
  halide_buffer_t images, nchw, nhwc; /* the uploaded images; NAME_layout's views */
  struct halide_dimension_t images_dim, nchw_dim[4], nhwc_dim[4];
  halide_buffer_t loss, logits; /* views of the workspace, read back each step */
  struct halide_dimension_t loss_dim, logits_dim;
};


float *PFX_param_data(PFX_model *m, int i) {
  if (!m || i < 0 || i >= NUM_PARAMS) return 0;
  if (netc_device_read(&m->params, PARAMS[i].offset, PARAMS[i].count,
                       m->block + PARAMS[i].offset) != 0)
    return 0;
  return m->block + PARAMS[i].offset;
}

int PFX_param_upload(PFX_model *m, int i) {
  if (!m || i < 0 || i >= NUM_PARAMS) return 1;
  return netc_device_write(&m->params, PARAMS[i].offset, PARAMS[i].count,
                           m->block + PARAMS[i].offset);
}

static void netc_release(halide_buffer_t *b) {
  if (b->device) halide_device_release_crop(0, b);
}

void PFX_free(PFX_model *m) {
  int i, j;
  if (!m) return;
  for (i = 0; i < NUM_ARGS; ++i) netc_release(&m->buf[i]);
  for (i = 0; i < NUM_PARAMS; ++i)
    for (j = 0; j < 3; ++j) netc_release(&m->sgd[i][j]);
  for (i = 0; i < NUM_COPIES; ++i)
    for (j = 0; j < 2; ++j) netc_release(&m->copy[i][j]);
  netc_release(&m->nchw);
  netc_release(&m->nhwc);
  netc_release(&m->loss);
  netc_release(&m->logits);
  if (m->images.device) halide_device_free(0, &m->images);
  if (m->arena.device) halide_device_free(0, &m->arena);
  if (m->params.device) halide_device_free(0, &m->params);
  if (m->velocity.device) halide_device_free(0, &m->velocity);
  if (m->labels.device) halide_device_free(0, &m->labels);
  free(m->block);
  free(m);
}

/* A 1-D float view of `whole` at `off`, n long. */
static int netc_flat_view(const halide_buffer_t *whole, halide_buffer_t *b,
                          struct halide_dimension_t *d, int64_t off, int64_t n) {
  netc_flat_desc(b, d, n);
  return netc_device_view(whole, b, off);
}

/* The same for a source that may start anywhere (a BN bias gradient or
 * statistic inside its (c, k) block): the view starts at the 64-float
 * boundary below `off` (OpenCL sub-buffers must be aligned) and its min is
 * negative, so index 0 is still at `off`. */
static int netc_flat_view_any(const halide_buffer_t *whole, halide_buffer_t *b,
                              struct halide_dimension_t *d, int64_t off, int64_t n) {
  int64_t shift = off % 64;
  if (netc_flat_view(whole, b, d, off - shift, n + shift) != 0) return 6;
  d->min = (int32_t)-shift;
  return 0;
}

/* A dense 4-D float view of `whole` at `off`: extents e[0..3], innermost first. */
static int netc_dense_view(const halide_buffer_t *whole, halide_buffer_t *b,
                           struct halide_dimension_t *d, int64_t off, int e0, int e1, int e2,
                           int e3) {
  int e[4], k;
  int32_t stride = 1;
  e[0] = e0, e[1] = e1, e[2] = e2, e[3] = e3;
  b->type.code = 2;
  b->type.bits = 32;
  b->type.lanes = 1;
  b->dimensions = 4;
  b->dim = d;
  for (k = 0; k < 4; ++k) {
    d[k].min = 0;
    d[k].extent = e[k];
    d[k].stride = stride;
    d[k].flags = 0;
    stride *= e[k];
  }
  return netc_device_view(whole, b, off);
}

static int netc_gpu_train_init(PFX_model *m) {
  const struct halide_device_interface_t *dev = netc_device();
  float *zeros;
  int i, status = 0;
  if (netc_device_alloc(&m->arena, &m->arena_dim, (int64_t)(WORKSPACE_BYTES / 4), dev) ||
      netc_device_alloc(&m->params, &m->params_dim, WEIGHT_FLOATS, dev) ||
      netc_device_alloc(&m->velocity, &m->velocity_dim, WEIGHT_FLOATS, dev) ||
      netc_device_alloc(&m->labels, &m->labels_dim, BATCH, dev) ||
      netc_device_alloc(&m->images, &m->images_dim,
                        (int64_t)BATCH * INPUT_C * INPUT_H * INPUT_W, dev) ||
      netc_dense_view(&m->images, &m->nchw, m->nchw_dim, 0, INPUT_W, INPUT_H, INPUT_C, BATCH) ||
      netc_dense_view(&m->arena, &m->nhwc, m->nhwc_dim, INPUT_OFFSET, INPUT_C, INPUT_W, INPUT_H,
                      BATCH) ||
      netc_flat_view(&m->arena, &m->loss, &m->loss_dim, LOSS_OFFSET, 1) ||
      netc_flat_view(&m->arena, &m->logits, &m->logits_dim, LOGITS_OFFSET,
                     (int64_t)BATCH * CLASSES))
    return 6;
  m->labels.type.code = 0; /* int32 */
  if (netc_device_write(&m->params, 0, WEIGHT_FLOATS, m->block) != 0) return 6;
  zeros = (float *)calloc((size_t)WEIGHT_FLOATS, sizeof(float));
  if (!zeros) return 3;
  status = netc_device_write(&m->velocity, 0, WEIGHT_FLOATS, zeros) != 0 ? 6 : 0;
  free(zeros);
  if (status) return status;
  netc_describe_args(m->buf, m->dim, m->argv, m->block);
  for (i = 0; i < NUM_ARGS; ++i) {
    halide_buffer_t *b = &m->buf[i];
    if (netc_device_view(ARGS[i].kind == 0   ? &m->arena
                         : ARGS[i].kind == 1 ? &m->params
                                             : &m->labels,
                         b, ARGS[i].kind == 2 ? 0 : ARGS[i].offset) != 0)
      return 6;
  }
  for (i = 0; i < NUM_PARAMS; ++i) {
    if (PARAMS[i].grad < 0) continue;
    if (netc_flat_view(&m->params, &m->sgd[i][0], &m->sgd_dim[i][0], PARAMS[i].offset,
                       PARAMS[i].count) ||
        netc_flat_view_any(&m->arena, &m->sgd[i][1], &m->sgd_dim[i][1], PARAMS[i].grad,
                           PARAMS[i].count) ||
        netc_flat_view(&m->velocity, &m->sgd[i][2], &m->sgd_dim[i][2], PARAMS[i].offset,
                       PARAMS[i].count))
      return 6;
  }
  for (i = 0; i < NUM_COPIES; ++i)
    if (netc_flat_view_any(&m->arena, &m->copy[i][0], &m->copy_dim[i][0], COPIES[i].src,
                           COPIES[i].count) ||
        netc_flat_view(&m->params, &m->copy[i][1], &m->copy_dim[i][1], COPIES[i].dst,
                       COPIES[i].count))
      return 6;
  return 0;
}

int PFX_init(PFX_model **out, const char *weights_path) {
  PFX_model *m;
  void *data = 0;
  int status = 0;
  if (!out) return 1;
  *out = 0;
  halide_set_error_handler(netc_halide_error);
  m = (PFX_model *)calloc(1, sizeof *m);
  if (!m) return 3;
  status = netc_load_block(weights_path, &data);
  m->block = (float *)data;
  if (status == 0) status = netc_gpu_train_init(m);
  if (status != 0) {
    PFX_free(m);
    return status;
  }
  *out = m;
  return 0;
}

static int netc_train_step(PFX_model *m, const float *images, const int32_t *labels, float lr,
                           float momentum, float weight_decay, void *workspace, float *loss,
                           float *logits, double *seconds) {
  float *ws = (float *)workspace;
  float l, first;
  void *args[9];
  int i;
  if (!m || !images || !labels || !workspace || ((uintptr_t)workspace & 63u) != 0) return 1;
  for (i = 0; i < BATCH; ++i)
    if (labels[i] < 0 || labels[i] >= CLASSES) return 1;
  /* The images up as they are (NCHW), then NHWC on the device. The host
   * workspace is not used (it is part of the API all targets share). */
  (void)ws;
  if (netc_host_copy(&m->images, (void *)(uintptr_t)images, 0) != 0 ||
      netc_host_copy(&m->labels, (void *)(uintptr_t)labels, 0) != 0)
    return 4;
  args[0] = &m->nchw;
  args[1] = &m->nhwc;
  if (PFX_layout_argv(args) != 0) return 4;
  if (netc_run_calls(m->argv, seconds) != 0) return 4;
  if (netc_host_copy(&m->loss, &l, 1) != 0) return 4;
  if (loss) *loss = l;
  if (logits && netc_host_copy(&m->logits, logits, 1) != 0) return 4;
  if (!(l == l) || l > 3.4e38f || l < -3.4e38f) return 7;
  /* BN running statistics, computed by the kernels in the workspace. */
  for (i = 0; i < NUM_COPIES; ++i) {
    args[0] = &m->copy[i][0];
    args[1] = &m->copy[i][1];
    if (PFX_copy_argv(args) != 0) return 4;
  }
  /* torch.optim.SGD, in place: see the CPU driver. */
  first = m->steps == 0 ? 1.f : 0.f;
  for (i = 0; i < NUM_PARAMS; ++i) {
    if (PARAMS[i].grad < 0) continue;
    args[0] = &m->sgd[i][0];
    args[1] = &m->sgd[i][1];
    args[2] = &m->sgd[i][2];
    args[3] = &lr;
    args[4] = &momentum;
    args[5] = &weight_decay;
    args[6] = &first;
    args[7] = &m->sgd[i][0];
    args[8] = &m->sgd[i][2];
    if (PFX_sgd_argv(args) != 0) return 4;
  }
  ++m->steps;
  return 0;
}

)C";
}

}  // namespace netc::aot
