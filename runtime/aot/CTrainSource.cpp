// NAME.h and NAME.c of a training library: one SGD step per call.
#include "runtime/aot/CSource.h"

#include <iomanip>
#include <sstream>

namespace netc::aot {

namespace {

std::string replaceAll(std::string s, const std::string &from, const std::string &to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// Both training drivers (CPU and GPU): the arguments' descriptions, and a
// writable copy of the weights from the .weights file or the embedded one.
const char *kTrainLoad = R"C(
/* Every kernel argument's halide_buffer_t (dense, innermost first);
 * parameter arguments point into the host block. */
static void netc_describe_args(halide_buffer_t *buf, struct halide_dimension_t (*dim)[MAX_RANK],
                               void **argv, float *block) {
  int i, d;
  for (i = 0; i < NUM_ARGS; ++i) {
    halide_buffer_t *b = &buf[i];
    int32_t stride = 1;
    b->type.code = ARGS[i].kind == 2 ? 0 : 2; /* int32 labels, else float */
    b->type.bits = 32;
    b->type.lanes = 1;
    b->dimensions = ARGS[i].rank;
    b->dim = dim[i];
    for (d = 0; d < ARGS[i].rank; ++d) {
      b->dim[d].extent = ARGS[i].extent[d];
      b->dim[d].stride = stride;
      stride *= ARGS[i].extent[d];
    }
    if (ARGS[i].kind == 1) b->host = (uint8_t *)(block + ARGS[i].offset);
    argv[i] = b;
  }
}

static int netc_load_block(const char *weights_path, void **data) {
  int64_t k;
  if (weights_path) return netc_read_weights(weights_path, data);
#if HAS_EMBEDDED
  if (!netc_check_header(PFX_weights_file)) return 2;
  if (posix_memalign(data, 64, (size_t)WEIGHT_FLOATS * 4 + 64) != 0) return 3;
  for (k = 0; k < WEIGHT_FLOATS; ++k)
    ((float *)*data)[k] = ((const float *)(const void *)(PFX_weights_file + 64))[k];
  return 0;
#else
  (void)k;
  return 1;
#endif
}
)C";

// Both drivers' public functions that do not depend on where the model
// lives: the step around their netc_train_step, and the tables' accessors.
const char *kTrainApi = R"C(
size_t PFX_workspace_size(void) { return (size_t)WORKSPACE_BYTES; }
const char *PFX_status_string(int status) { return netc_status_text(status); }
int PFX_param_count(void) { return NUM_PARAMS; }
const char *PFX_param_name(int i) { return i >= 0 && i < NUM_PARAMS ? PARAMS[i].name : 0; }
const char *PFX_param_layout(int i) { return i >= 0 && i < NUM_PARAMS ? PARAMS[i].layout : 0; }
int64_t PFX_param_size(int i) { return i >= 0 && i < NUM_PARAMS ? PARAMS[i].count : 0; }
int PFX_train_step(PFX_model *m, const float *images, const int32_t *labels, float lr,
                   float momentum, float weight_decay, void *workspace, float *loss,
                   float *logits) {
  return netc_train_step(m, images, labels, lr, momentum, weight_decay, workspace, loss, logits, 0);
}

int PFX_train_step_profiled(PFX_model *m, const float *images, const int32_t *labels, float lr,
                            float momentum, float weight_decay, void *workspace, float *loss,
                            float *logits, double *seconds) {
  if (!seconds) return 1;
  return netc_train_step(m, images, labels, lr, momentum, weight_decay, workspace, loss, logits,
                         seconds);
}
)C";

// The model: parameters (writable copy), momentum buffers, step count.
// PFX_ stands for the network's prefix.
const char *kTrainBody = R"C(
struct PFX_model {
  halide_buffer_t buf[NUM_ARGS];
  struct halide_dimension_t dim[NUM_ARGS][MAX_RANK];
  void *argv[NUM_ARGS];
  float *block;    /* every parameter and BN statistic, kernel layouts */
  float *velocity; /* momentum buffers, same offsets as block */
  int64_t steps;
};

float *PFX_param_data(PFX_model *m, int i) {
  return m && i >= 0 && i < NUM_PARAMS ? m->block + PARAMS[i].offset : 0;
}

int PFX_param_upload(PFX_model *m, int i) {
  return m && i >= 0 && i < NUM_PARAMS ? 0 : 1; /* the kernels read the block itself */
}

void PFX_free(PFX_model *m) {
  if (!m) return;
  free(m->block);
  free(m->velocity);
  free(m);
}

int PFX_init(PFX_model **out, const char *weights_path) {
  PFX_model *m;
  void *data = 0, *vel = 0;
  int status = 0;
  int64_t k;
  if (!out) return 1;
  *out = 0;
  halide_set_error_handler(netc_halide_error);
  m = (PFX_model *)calloc(1, sizeof *m);
  if (!m) return 3;
  status = netc_load_block(weights_path, &data);
  if (status == 0 && posix_memalign(&vel, 64, (size_t)WEIGHT_FLOATS * 4 + 64) != 0) status = 3;
  if (status != 0) {
    free(data);
    free(m);
    return status;
  }
  m->block = (float *)data;
  m->velocity = (float *)vel;
  for (k = 0; k < WEIGHT_FLOATS; ++k) m->velocity[k] = 0;
  netc_describe_args(m->buf, m->dim, m->argv, m->block);
  *out = m;
  return 0;
}

static int netc_train_step(PFX_model *m, const float *images, const int32_t *labels, float lr,
                           float momentum, float weight_decay, void *workspace, float *loss,
                           float *logits, double *seconds) {
  float *ws = (float *)workspace;
  float l;
  int i;
  int64_t j;
  if (!m || !images || !labels || !workspace || ((uintptr_t)workspace & 63u) != 0) return 1;
  for (i = 0; i < BATCH; ++i)
    if (labels[i] < 0 || labels[i] >= CLASSES) return 1;
  for (i = 0; i < NUM_ARGS; ++i) {
    if (ARGS[i].kind == 0) m->buf[i].host = (uint8_t *)(ws + ARGS[i].offset);
    else if (ARGS[i].kind == 2) m->buf[i].host = (uint8_t *)(uintptr_t)labels;
  }
  netc_layout(images, ws + INPUT_OFFSET, BATCH, INPUT_C, INPUT_H, INPUT_W, 1);
  if (netc_run_calls(m->argv, seconds) != 0) return 4;
  l = ws[LOSS_OFFSET];
  if (loss) *loss = l;
  if (logits)
    for (j = 0; j < (int64_t)BATCH * CLASSES; ++j) logits[j] = ws[LOGITS_OFFSET + j];
  if (!(l == l) || l > 3.4e38f || l < -3.4e38f) return 7;
  /* BN running statistics, computed by the kernels in the arena. */
  for (i = 0; i < NUM_COPIES; ++i)
    for (j = 0; j < COPIES[i].count; ++j) m->block[COPIES[i].dst + j] = ws[COPIES[i].src + j];
  /* torch.optim.SGD: d = g + wd * p; v = d on the first step, else momentum * v + d; p -= lr * v */
  for (i = 0; i < NUM_PARAMS; ++i) {
    float *p = m->block + PARAMS[i].offset, *v = m->velocity + PARAMS[i].offset;
    const float *g = ws + PARAMS[i].grad;
    if (PARAMS[i].grad < 0) continue;
    if (m->steps == 0)
      for (j = 0; j < PARAMS[i].count; ++j) {
        v[j] = g[j] + weight_decay * p[j];
        p[j] -= lr * v[j];
      }
    else
      for (j = 0; j < PARAMS[i].count; ++j) {
        v[j] = momentum * v[j] + g[j] + weight_decay * p[j];
        p[j] -= lr * v[j];
      }
  }
  ++m->steps;
  return 0;
}

)C";

}  // namespace

std::string trainHeaderSource(const TrainLayout &l) {
  const std::string n = l.name, N = upperName(l.name);
  std::ostringstream h;
  h << "/* " << n << ".h: a training step generated by netc from " << l.origin << " for "
    << l.target << ".\n * Link " << n
    << ".a and -lpthread -ldl -lm. Do not edit: compile the .net file again. */\n"
    << "#ifndef " << N << "_NETC_H\n#define " << N << "_NETC_H\n\n"
    << "#include <stddef.h>\n#include <stdint.h>\n\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
    << "#define " << N << "_TRAINING 1\n"
    << "/* The batch of every step (batch norm statistics are over it). */\n"
    << "#define " << N << "_BATCH " << l.batch << "\n"
    << "/* Images in, NCHW float32, already normalised as in training. */\n"
    << "#define " << N << "_INPUT_C " << l.inputShape[0] << "\n"
    << "#define " << N << "_INPUT_H " << l.inputShape[1] << "\n"
    << "#define " << N << "_INPUT_W " << l.inputShape[2] << "\n"
    << "#define " << N << "_CLASSES " << l.classes << "\n"
    << "#define " << N << "_WORKSPACE_BYTES ((size_t)" << l.arenaBytes << "u)\n"
    << "#define " << N << "_NUM_PARAMS " << l.params.size() << "\n"
    << "#define " << N << "_HAS_EMBEDDED_WEIGHTS " << (l.embedded ? 1 : 0) << "\n"
    << "#define " << N << "_NETWORK_ID 0x" << std::hex << l.networkId << std::dec << "ull\n"
    << "/* The network's recipe, for reference (train_step takes its own values). */\n"
    << std::setprecision(9) << "#define " << N << "_RECIPE_LR " << l.lr << "f\n"
    << "#define " << N << "_RECIPE_MOMENTUM " << l.momentum << "f\n"
    << "#define " << N << "_RECIPE_WEIGHT_DECAY " << l.weightDecay << "f\n\n"
    << statusEnumSource() << "typedef struct " << n << "_model " << n << "_model;\n\n"
    << "/* Loads the initial weights (the .weights file netc wrote, or NULL for embedded\n"
    << " * ones) into a writable copy; momentum buffers start at zero. */\n"
    << "int " << n << "_init(" << n << "_model **model, const char *weights_path);\n"
    << "size_t " << n << "_workspace_size(void);\n\n"
    << "/* One step on BATCH images: forward in training mode, mean cross-entropy,\n"
    << " * backward, BN running statistics, then torch.optim.SGD (dampening 0, no\n"
    << " * Nesterov) with lr, momentum and weight_decay. loss and logits (BATCH x\n"
    << " * CLASSES) may be NULL. A non-finite loss returns NETC_ERR_NONFINITE and\n"
    << " * changes nothing. Nothing is allocated. workspace: WORKSPACE_BYTES,\n"
    << " * 64-byte aligned" << (l.gpu ? " (a GPU library keeps its workspace on the device and\n"
                                       " * does not touch this one: any aligned pointer will do)"
                                     : "") << ". */\n"
    << "int " << n << "_train_step(" << n
    << "_model *model, const float *images, const int32_t *labels,\n"
    << "    float lr, float momentum, float weight_decay, void *workspace, float *loss,\n"
    << "    float *logits);\n"
    << "/* The same, timing every kernel call into seconds[NAME_call_count()]\n"
    << " * (on a GPU each call is followed by a device sync). */\n"
    << "int " << n << "_train_step_profiled(" << n
    << "_model *model, const float *images,\n"
    << "    const int32_t *labels, float lr, float momentum, float weight_decay,\n"
    << "    void *workspace, float *loss, float *logits, double *seconds);\n"
    << profileHeaderSource(n)
    << "/* The parameters (BN running statistics included), by index: PyTorch's name,\n"
    << " * the layout (\"plain\"; \"hwio\": an OIHW conv weight stored [kh][kw][ci][co];\n"
    << " * \"fc-nhwc\": an fc weight whose inputs follow NHWC flattening), the float\n"
    << " * count, and the live data (read it, or write it between steps). */\n"
    << "int " << n << "_param_count(void);\n"
    << "const char *" << n << "_param_name(int i);\n"
    << "const char *" << n << "_param_layout(int i);\n"
    << "int64_t " << n << "_param_size(int i);\n"
    << "float *" << n << "_param_data(" << n << "_model *model, int i);\n"
    << "/* After writing a parameter's data: makes the next step use it (a GPU\n"
    << " * library keeps the live parameters on the device and param_data returns a\n"
    << " * host copy fetched on each call; on the CPU this does nothing). */\n"
    << "int " << n << "_param_upload(" << n << "_model *model, int i);\n\n"
    << "void " << n << "_free(" << n << "_model *model);\n"
    << "const char *" << n << "_status_string(int status);\n\n"
    << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return h.str();
}

std::string trainDriverSource(const TrainLayout &l) {
  std::ostringstream c;
  size_t maxRank = 1;
  for (const TrainLayout::Arg &a : l.args)
    maxRank = std::max(maxRank, a.dims.size());
  c << "/* " << l.name << ".c: a training step generated by netc from " << l.origin << " for "
    << l.target << ". Do not edit. */\n"
    << driverPreludeSource(l.target, l.gpu) << "\n#include \"" << l.name << ".h\"\n\n"
    << "#define NETC_GPU " << (l.gpu ? 1 : 0) << "\n"
    << "#define HAS_EMBEDDED " << (l.embedded ? 1 : 0) << "\n"
    << "#define NUM_ARGS " << l.args.size() << "\n"
    << "#define NUM_CALLS " << l.calls.size() << "\n"
    << "#define NUM_PARAMS " << l.params.size() << "\n"
    << "#define NUM_COPIES " << l.copies.size() << "\n"
    << "#define MAX_RANK " << maxRank << "\n"
    << "#define BATCH " << l.batch << "\n#define CLASSES " << l.classes << "\n"
    << "#define WORKSPACE_BYTES " << l.arenaBytes << "ull\n"
    << "#define WEIGHT_FLOATS " << l.blockFloats << "ll\n"
    << "#define NETWORK_ID 0x" << std::hex << l.networkId << std::dec << "ull\n"
    << "#define INPUT_OFFSET " << l.inputOffset << "\n"
    << "#define LOSS_OFFSET " << l.lossOffset << "\n"
    << "#define LOGITS_OFFSET " << l.logitsOffset << "\n"
    << "#define INPUT_C " << l.inputShape[0] << "\n#define INPUT_H " << l.inputShape[1]
    << "\n#define INPUT_W " << l.inputShape[2] << "\n\n";
  if (l.embedded)
    c << "extern const unsigned char " << l.name << "_weights_file[];\n\n";
  for (const std::string &k : l.kernels)
    c << "extern int " << k << "_argv(void **args);\n";
  c << "\n/* Every kernel argument: kind (0 workspace, 1 parameters, 2 labels), offset\n"
    << " * in floats, rank, extents innermost first. */\n"
    << "static const struct { int32_t kind; int64_t offset; int32_t rank; int32_t extent["
    << maxRank << "]; } ARGS[NUM_ARGS] = {\n";
  for (const TrainLayout::Arg &a : l.args) {
    c << "  {" << a.kind << ", " << a.offset << ", " << a.dims.size() << ", {";
    for (size_t d = 0; d < a.dims.size(); ++d)
      c << (d ? ", " : "") << a.dims[d];
    c << "}},\n";
  }
  c << "};\n\n" << callTableSource(l.name, l.calls) << "\n/* Parameters: name, layout, offset and count in the block, gradient offset\n"
    << " * in the workspace (-1: not trained). */\n"
    << "static const struct { const char *name, *layout; int64_t offset, count, grad; } "
       "PARAMS[NUM_PARAMS] = {\n";
  for (const runtime::TrainPlanParam &p : l.params)
    c << "  {\"" << p.name << "\", \"" << p.layout << "\", " << p.offset << ", " << p.count << ", "
      << p.grad << "},\n";
  c << "};\n\n/* BN running statistics: workspace offset -> block offset, count. */\n"
    << "static const struct { int64_t src, dst, count; } COPIES[NUM_COPIES + 1] = {\n";
  for (const runtime::TrainPlanCopy &k : l.copies)
    c << "  {" << k.src << ", " << k.dst << ", " << k.count << "},\n";
  c << "  {0, 0, 0}\n};\n"
    << driverCommonSource()
    << replaceAll(std::string(kTrainLoad) + (l.gpu ? trainGpuBodySource() : kTrainBody) +
                      kTrainApi,
                  "PFX_", l.name + "_");
  return c.str();
}

}  // namespace netc::aot
