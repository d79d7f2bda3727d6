// NAME.c: the driver of an AOT library. The plan is data (argument and call
// tables); the code around it is the same for every network: load and
// verify the weights, describe every buffer once in init, and in forward
// point the activations at the caller's workspace and call the kernels.
#include "runtime/aot/CSource.h"

#include <cctype>
#include <sstream>

namespace netc::aot {

namespace {

// The Halide 14 runtime ABI (HalideRuntime.h, HalideRuntimeCuda.h) and the
// libc functions the driver uses, declared here: no headers but the
// compiler's own. A host build also includes Halide's headers first (see
// AotLibrary.cpp), so any mismatch with them is a compile error.
const char *kPrelude = R"C(#include <stddef.h>
#include <stdint.h>

#ifndef HALIDE_HALIDERUNTIME_H
struct halide_device_interface_t;
struct halide_type_t { uint8_t code; uint8_t bits; uint16_t lanes; };
struct halide_dimension_t { int32_t min, extent, stride; uint32_t flags; };
typedef struct halide_buffer_t {
  uint64_t device;
  const struct halide_device_interface_t *device_interface;
  uint8_t *host;
  uint64_t flags;
  struct halide_type_t type;
  int32_t dimensions;
  struct halide_dimension_t *dim;
  void *padding;
} halide_buffer_t;
#endif
#define NETC_HOST_DIRTY 1u
#ifndef HALIDE_HALIDERUNTIME_H
typedef void (*halide_error_handler_t)(void *, const char *);
#endif
extern halide_error_handler_t halide_set_error_handler(halide_error_handler_t handler);

extern void *calloc(size_t n, size_t size);
extern void free(void *p);
extern int posix_memalign(void **p, size_t alignment, size_t size);
extern int open(const char *path, int flags, ...);
extern long read(int fd, void *buf, size_t n);
extern int close(int fd);
extern long write(int fd, const void *buf, size_t n);
struct netc_timespec { long tv_sec, tv_nsec; };
extern int clock_gettime(int clock, struct netc_timespec *t);
)C";

const char *kGpuPrelude = R"C(
extern int halide_device_malloc(void *uc, struct halide_buffer_t *buf,
                                const struct halide_device_interface_t *iface);
extern int halide_device_free(void *uc, struct halide_buffer_t *buf);
extern int halide_copy_to_device(void *uc, struct halide_buffer_t *buf,
                                 const struct halide_device_interface_t *iface);
extern int halide_copy_to_host(void *uc, struct halide_buffer_t *buf);
extern int halide_device_crop(void *uc, const struct halide_buffer_t *src,
                              struct halide_buffer_t *dst);
extern int halide_device_release_crop(void *uc, struct halide_buffer_t *buf);
extern int halide_device_sync(void *uc, struct halide_buffer_t *buf);
extern int halide_reuse_device_allocations(void *uc, _Bool reuse);
extern const struct halide_device_interface_t *NETC_DEVICE_INTERFACE(void);
extern void *dlopen(const char *file, int mode);
#define NETC_DEVICE_DIRTY 2u

/* The runtime takes the driver's symbols from the process when they are
 * there, else loads "libcuda.so" (or "libOpenCL.so"), which a machine with
 * only the driver installed lacks (it has the .so.1): load that one globally
 * first (RTLD_NOW | RTLD_GLOBAL). A failure is left to Halide's own try.
 * Device allocations of the kernels' intermediates are kept between calls. */
static inline const struct halide_device_interface_t *netc_device(void) {
  (void)dlopen(NETC_DEVICE_LIBRARY, 0x102);
  (void)halide_reuse_device_allocations(0, 1);
  return NETC_DEVICE_INTERFACE();
}

/* Describes b as n dense floats (1-D, min 0). */
static inline void netc_flat_desc(halide_buffer_t *b, struct halide_dimension_t *d, int64_t n) {
  b->type.code = 2;
  b->type.bits = 32;
  b->type.lanes = 1;
  b->dimensions = 1;
  b->dim = d;
  d->min = 0;
  d->extent = (int32_t)n;
  d->stride = 1;
  d->flags = 0;
}

/* A 1-D device allocation of n floats (or int32s: the same size). */
static inline int netc_device_alloc(halide_buffer_t *b, struct halide_dimension_t *d, int64_t n,
                                    const struct halide_device_interface_t *dev) {
  netc_flat_desc(b, d, n);
  return halide_device_malloc(0, b, dev) != 0 ? 6 : 0;
}

/* Makes `view` (its shape and type already set) a view of `whole`, a 1-D
 * device allocation, starting `off` elements in: a device crop (pointer
 * arithmetic on CUDA, an offset on OpenCL) of a source shaped like the view
 * whose first dimension starts off elements earlier. */
static inline int netc_device_view(const halide_buffer_t *whole, halide_buffer_t *view,
                                   int64_t off) {
  halide_buffer_t src = *view;
  struct halide_dimension_t d[8];
  int i;
  for (i = 0; i < view->dimensions && i < 8; ++i) d[i] = view->dim[i];
  d[0].min -= (int32_t)off;
  d[0].stride = 1;
  src.dim = d;
  src.device = whole->device;
  src.device_interface = whole->device_interface;
  src.flags = 0;
  view->device = 0;
  if (halide_device_crop(0, &src, view) != 0) return 6;
  view->flags = 0;
  return 0;
}

/* Copies the elements of b (a device allocation or view) between its device
 * memory and the host memory at `host`: to the host when to_host, else to
 * the device. */
static __attribute__((unused)) int netc_host_copy(halide_buffer_t *b, void *host, int to_host) {
  b->host = (uint8_t *)host;
  b->flags = to_host ? NETC_DEVICE_DIRTY : NETC_HOST_DIRTY;
  return (to_host ? halide_copy_to_host(0, b)
                  : halide_copy_to_device(0, b, b->device_interface)) != 0 ? 4 : 0;
}

/* The same for n elements of `whole` at `off`, through a temporary view (for
 * init and occasional reads; a step's copies use views made once). */
static __attribute__((unused)) int netc_device_copy(const halide_buffer_t *whole, int64_t off,
                                                    int64_t n, void *host, int to_host) {
  halide_buffer_t v = {0};
  struct halide_dimension_t d;
  int status;
  netc_flat_desc(&v, &d, n);
  v.type = whole->type;
  if (netc_device_view(whole, &v, off) != 0) return 6;
  status = netc_host_copy(&v, host, to_host);
  halide_device_release_crop(0, &v);
  return status;
}

static __attribute__((unused)) int netc_device_read(const halide_buffer_t *whole, int64_t off,
                                                    int64_t n, float *dst) {
  return netc_device_copy(whole, off, n, dst, 1);
}

static __attribute__((unused)) int netc_device_write(const halide_buffer_t *whole, int64_t off,
                                                     int64_t n, const float *src) {
  return netc_device_copy(whole, off, n, (void *)(uintptr_t)src, 0);
}
)C";

// Everything below the tables. PFX_ stands for the network's prefix.
const char *kCommon = R"C(
static double netc_now(void) {
  struct netc_timespec t;
  clock_gettime(1 /* CLOCK_MONOTONIC */, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Every kernel call in order; with `seconds`, each call's time (on a GPU
 * after a device sync: the kernels' own time, launch included). */
static int netc_run_calls(void **argv, double *seconds) {
  int k;
  double t0 = 0;
  for (k = 0; k < NUM_CALLS; ++k) {
    if (seconds) t0 = netc_now();
    if (CALLS[k].fn(&argv[CALLS[k].first]) != 0) return 4;
    if (seconds) {
#if NETC_GPU
      if (halide_device_sync(0, (halide_buffer_t *)argv[CALLS[k].first + CALLS[k].count - 1]) != 0)
        return 4;
#endif
      seconds[k] = netc_now() - t0;
    }
  }
  return 0;
}

static const char *netc_status_text(int status) {
  switch (status) {
  case 0: return "ok";
  case 1: return "invalid argument (null pointer, misaligned workspace, or no weights given)";
  case 2: return "weights file missing, corrupt, or written for another library";
  case 3: return "out of memory";
  case 4: return "a kernel failed (the Halide runtime printed the reason)";
  case 5: return "batch out of range";
  case 6: return "no usable GPU (the CUDA or OpenCL driver could not be loaded or has no device)";
  case 7: return "the loss is not finite (NaN or Inf): nothing was updated";
  default: return "unknown status";
  }
}

static uint64_t netc_checksum(const uint64_t *w, uint64_t n) {
  uint64_t h = 0xcbf29ce484222325ull, i;
  for (i = 0; i < n; ++i)
    h = (h ^ w[i]) * 0x100000001b3ull;
  return h;
}

/* The 64-byte header of a .weights file: magic, network id, count, checksum. */
static int netc_check_header(const unsigned char *h) {
  static const char magic[8] = {'N', 'E', 'T', 'C', 'W', 'T', 'S', '1'};
  const uint64_t *f = (const uint64_t *)(const void *)h;
  int i;
  for (i = 0; i < 8; ++i)
    if (h[i] != (unsigned char)magic[i]) return 0;
  return f[1] == NETWORK_ID && f[2] == (uint64_t)WEIGHT_FLOATS;
}

/* Halide's default handler aborts the process; a library returns a status
 * instead: the message goes to stderr and the call returns NETC_ERR_KERNEL
 * (or NETC_ERR_DEVICE). */
static void netc_halide_error(void *uc, const char *msg) {
  static const char prefix[] = "netc library: ";
  size_t n = 0;
  (void)uc;
  while (msg[n]) ++n;
  if (write(2, prefix, sizeof prefix - 1) < 0 || write(2, msg, n) < 0) return;
  if (n == 0 || msg[n - 1] != '\n') (void)write(2, "\n", 1);
}

/* NCHW -> NHWC (to_nhwc = 1) or NHWC -> NCHW, for N images of C x H x W. */
static __attribute__((unused)) void netc_layout(const float *src, float *dst, int64_t N,
                                                int64_t C, int64_t H, int64_t W, int to_nhwc) {
  int64_t n, c, y, x;
  for (n = 0; n < N; ++n)
    for (c = 0; c < C; ++c)
      for (y = 0; y < H; ++y)
        for (x = 0; x < W; ++x) {
          int64_t nchw = ((n * C + c) * H + y) * W + x, nhwc = ((n * H + y) * W + x) * C + c;
          if (to_nhwc) dst[nhwc] = src[nchw];
          else dst[nchw] = src[nhwc];
        }
}

static int netc_read_all(int fd, void *dst, size_t n) {
  char *p = (char *)dst;
  while (n > 0) {
    long got = read(fd, p, n);
    if (got <= 0) return 0;
    p += got;
    n -= (size_t)got;
  }
  return 1;
}

/* Reads and verifies a .weights file into 64-byte aligned memory (*out). */
static int netc_read_weights(const char *path, void **out) {
  union { unsigned char b[64]; uint64_t w[8]; } head;
  void *data = 0;
  int fd = open(path, 0 /* O_RDONLY */);
  int ok;
  if (fd < 0) return 2;
  ok = netc_read_all(fd, head.b, 64) && netc_check_header(head.b);
  if (ok && posix_memalign(&data, 64, (size_t)WEIGHT_FLOATS * 4 + 64) != 0) {
    close(fd);
    return 3;
  }
  ok = ok && netc_read_all(fd, data, (size_t)WEIGHT_FLOATS * 4);
  close(fd);
  ok = ok && netc_checksum((const uint64_t *)data, (uint64_t)WEIGHT_FLOATS / 2) == head.w[3];
  if (!ok) {
    free(data);
    return 2;
  }
  *out = data;
  return 0;
}

)C";

const char *kBody = R"C(
struct PFX_model {
  halide_buffer_t buf[NUM_ARGS];
  struct halide_dimension_t dim[NUM_ARGS][MAX_RANK];
  void *argv[NUM_ARGS];
  const float *weights; /* kernel layouts, 64-byte aligned */
  void *owned;          /* what PFX_free releases besides the model */
#if NETC_GPU
  halide_buffer_t arena; /* the device workspace; activations are views of it */
  struct halide_dimension_t arena_dim;
  int arena_ready;
#endif
};

size_t PFX_workspace_size(void) { return (size_t)WORKSPACE_BYTES; }

const char *PFX_status_string(int status) { return netc_status_text(status); }

static int netc_load_file(PFX_model *m, const char *path) {
  void *data = 0;
  int status = netc_read_weights(path, &data);
  if (status != 0) return status;
  m->weights = (const float *)data;
  m->owned = data;
  return 0;
}

static void netc_describe(PFX_model *m) {
  int i, d;
  for (i = 0; i < NUM_ARGS; ++i) {
    halide_buffer_t *b = &m->buf[i];
    int32_t stride = 1;
    b->type.code = 2; /* float */
    b->type.bits = 32;
    b->type.lanes = 1;
    b->dimensions = ARGS[i].rank;
    b->dim = m->dim[i];
    for (d = 0; d < ARGS[i].rank; ++d) {
      b->dim[d].min = 0;
      b->dim[d].extent = ARGS[i].extent[d];
      b->dim[d].stride = stride;
      b->dim[d].flags = 0;
      stride *= ARGS[i].extent[d];
    }
    if (ARGS[i].weight) b->host = (uint8_t *)(uintptr_t)(m->weights + ARGS[i].offset);
    m->argv[i] = b;
  }
}

#if NETC_GPU
/* One device allocation for the workspace; every activation argument views it.
 * Weights are copied to the device once, here. */
static int netc_gpu_init(PFX_model *m) {
  const struct halide_device_interface_t *dev = netc_device();
  int i;
  if (netc_device_alloc(&m->arena, &m->arena_dim, (int64_t)(WORKSPACE_BYTES / 4), dev) != 0)
    return 6;
  m->arena_ready = 1;
  for (i = 0; i < NUM_ARGS; ++i) {
    if (ARGS[i].weight) {
      m->buf[i].flags = NETC_HOST_DIRTY;
      if (halide_copy_to_device(0, &m->buf[i], dev) != 0) return 6;
    } else if (netc_device_view(&m->arena, &m->buf[i], ARGS[i].offset) != 0) {
      return 6;
    }
  }
  return 0;
}

static void netc_gpu_free(PFX_model *m) {
  int i;
  for (i = 0; i < NUM_ARGS; ++i) {
    if (!m->buf[i].device) continue;
    if (ARGS[i].weight) halide_device_free(0, &m->buf[i]);
    else halide_device_release_crop(0, &m->buf[i]);
  }
  if (m->arena_ready) halide_device_free(0, &m->arena);
}
#endif

void PFX_free(PFX_model *m) {
  if (!m) return;
#if NETC_GPU
  netc_gpu_free(m);
#endif
  free(m->owned);
  free(m);
}

int PFX_init(PFX_model **out, const char *weights_path) {
  PFX_model *m;
  int status = 0;
  if (!out) return 1;
  *out = 0;
  halide_set_error_handler(netc_halide_error);
  m = (PFX_model *)calloc(1, sizeof *m);
  if (!m) return 3;
  if (weights_path) {
    status = netc_load_file(m, weights_path);
  } else {
#if HAS_EMBEDDED
    if (!netc_check_header(PFX_weights_file)) status = 2;
    m->weights = (const float *)(const void *)(PFX_weights_file + 64);
#else
    status = 1;
#endif
  }
  if (status == 0) netc_describe(m);
#if NETC_GPU
  if (status == 0) status = netc_gpu_init(m);
#endif
  if (status != 0) {
    PFX_free(m);
    return status;
  }
  *out = m;
  return 0;
}

static int netc_forward(PFX_model *m, const float *input, float *output, int batch,
                        void *workspace, double *seconds) {
  float *ws = (float *)workspace;
  int i;
  if (!m || !input || !output || !workspace || ((uintptr_t)workspace & 63u) != 0) return 1;
  if (batch < 1 || batch > MAX_BATCH) return 5;
  for (i = 0; i < NUM_ARGS; ++i) {
    if (ARGS[i].weight) continue;
    m->buf[i].host = (uint8_t *)(ws + ARGS[i].offset);
    m->dim[i][ARGS[i].rank - 1].extent = batch;
  }
  netc_layout(input, ws + INPUT_OFFSET, batch, INPUT_C, INPUT_H, INPUT_W, 1);
#if NETC_GPU
  for (i = 0; i < (int)(sizeof INPUT_ARGS / sizeof INPUT_ARGS[0]); ++i)
    m->buf[INPUT_ARGS[i]].flags = NETC_HOST_DIRTY;
#endif
  if (netc_run_calls(m->argv, seconds) != 0) return 4;
#if NETC_GPU
  if (halide_copy_to_host(0, &m->buf[OUTPUT_ARG]) != 0) return 4;
#endif
  netc_layout(ws + OUTPUT_OFFSET, output, batch, OUT_C, OUT_H, OUT_W, 0);
  return 0;
}

int PFX_forward(PFX_model *m, const float *input, float *output, int batch, void *workspace) {
  return netc_forward(m, input, output, batch, workspace, 0);
}

int PFX_forward_profiled(PFX_model *m, const float *input, float *output, int batch,
                         void *workspace, double *seconds) {
  if (!seconds) return 1;
  return netc_forward(m, input, output, batch, workspace, seconds);
}
)C";

std::string replaceAll(std::string s, const std::string &from, const std::string &to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

std::string gpuPreludeSource(const std::string &target) {
  const bool ocl = target.find("opencl") != std::string::npos;
  return std::string("\n#define NETC_DEVICE_INTERFACE ") +
         (ocl ? "halide_opencl_device_interface" : "halide_cuda_device_interface") +
         "\n#define NETC_DEVICE_LIBRARY \"" + (ocl ? "libOpenCL.so.1" : "libcuda.so.1") + "\"" +
         kGpuPrelude;
}

std::string driverPreludeSource(const std::string &target, bool gpu) {
  return std::string(kPrelude) + (gpu ? gpuPreludeSource(target) : "");
}

std::string driverCommonSource() { return kCommon; }

std::string callTableSource(const std::string &name, const std::vector<KernelCall> &calls) {
  std::ostringstream c;
  c << "/* The calls, in order: kernel, first argument, argument count, MACs per\n"
    << " * image (convs: forward, dX or dW), name. */\n"
    << "static const struct { int (*fn)(void **); int first, count; double macs; "
       "const char *name; } CALLS[NUM_CALLS] = {\n";
  for (const KernelCall &k : calls) {
    std::string text;
    for (char ch : k.comment)
      text += ch == '"' || ch == '\\' ? '_' : ch;
    c << "  {" << k.fn << "_argv, " << k.firstArg << ", " << k.numArgs << ", " << k.macs << ", \""
      << text << "\"},\n";
  }
  c << "};\n\n"
    << "int " << name << "_call_count(void) { return NUM_CALLS; }\n"
    << "const char *" << name << "_call_name(int k) { return k >= 0 && k < NUM_CALLS ? "
       "CALLS[k].name : 0; }\n"
    << "double " << name << "_call_macs(int k) { return k >= 0 && k < NUM_CALLS ? "
       "CALLS[k].macs : 0; }\n";
  return c.str();
}

std::string profileHeaderSource(const std::string &n) {
  return "/* The kernel calls of a pass, for profiles: how many, each one's name\n"
         " * (\"layer  op\"), and its multiply-adds per image (convs, forward or\n"
         " * gradient; 0 for other ops). */\n"
         "int " + n + "_call_count(void);\n"
         "const char *" + n + "_call_name(int k);\n"
         "double " + n + "_call_macs(int k);\n\n";
}

std::string driverSource(const LibraryLayout &l) {
  std::ostringstream c;
  size_t maxRank = 1;
  for (const runtime::PlanBuffer &a : l.args)
    maxRank = std::max(maxRank, a.dims.size());
  c << "/* " << l.name << ".c: generated by netc from " << l.origin << " for " << l.target
    << ". Do not edit. */\n"
    << kPrelude;
  if (l.gpu)
    c << gpuPreludeSource(l.target);
  c << "\n#include \"" << l.name << ".h\"\n\n"
    << "#define NETC_GPU " << (l.gpu ? 1 : 0) << "\n"
    << "#define HAS_EMBEDDED " << (l.embedded ? 1 : 0) << "\n"
    << "#define NUM_ARGS " << l.args.size() << "\n"
    << "#define NUM_CALLS " << l.calls.size() << "\n"
    << "#define MAX_RANK " << maxRank << "\n"
    << "#define MAX_BATCH " << l.batch << "\n"
    << "#define WORKSPACE_BYTES " << l.arenaBytes << "ull\n"
    << "#define WEIGHT_FLOATS " << l.weightFloats << "ll\n"
    << "#define NETWORK_ID 0x" << std::hex << l.networkId << std::dec << "ull\n"
    << "#define INPUT_OFFSET " << l.inputOffset << "\n"
    << "#define OUTPUT_OFFSET " << l.outputOffset << "\n"
    << "#define INPUT_C " << l.inputShape[0] << "\n#define INPUT_H " << l.inputShape[1]
    << "\n#define INPUT_W " << l.inputShape[2] << "\n"
    << "#define OUT_C " << l.outC << "\n#define OUT_H " << l.outH << "\n#define OUT_W " << l.outW
    << "\n#define OUTPUT_ARG " << l.outputArg << "\n\n";
  if (l.embedded)
    c << "/* The .weights file, linked in from " << l.name << "_weights.o. */\n"
      << "extern const unsigned char " << l.name << "_weights_file[];\n\n";
  for (const std::string &k : l.kernels)
    c << "extern int " << k << "_argv(void **args);\n";
  c << "\n/* Every kernel argument: offset in floats (workspace, or weights when\n"
    << " * weight = 1), rank, extents innermost first (an activation's last extent\n"
    << " * is the batch and is set per call). */\n"
    << "static const struct { int64_t offset; int32_t weight, rank; int32_t extent["
    << maxRank << "]; } ARGS[NUM_ARGS] = {\n";
  for (const runtime::PlanBuffer &a : l.args) {
    c << "  {" << a.offset << ", " << (a.weight ? 1 : 0) << ", " << a.dims.size() << ", {";
    for (size_t d = 0; d < a.dims.size(); ++d)
      c << (d ? ", " : "") << a.dims[d];
    c << "}},\n";
  }
  c << "};\n\n" << callTableSource(l.name, l.calls);
  if (l.gpu) {
    c << "\n/* Arguments that read the network input (set host-dirty per call). */\n"
      << "static const int INPUT_ARGS[] = {";
    for (size_t i = 0; i < l.inputArgs.size(); ++i)
      c << (i ? ", " : "") << l.inputArgs[i];
    c << "};\n";
  }
  c << kCommon << replaceAll(kBody, "PFX_", l.name + "_");
  return c.str();
}

}  // namespace netc::aot
