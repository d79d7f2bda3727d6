/* gpu_check: runs the CUDA libraries of `make gpu-check` on a GPU, checks
 * them against outputs computed on the CPU, and times them: the forward of
 * three networks, and one training step of two.
 *
 *   gpu_check [--dir BUNDLE] [--iterations N] [--warmup N]
 *
 * Linked against three libraries built by `netc compile --target cuda`:
 * r20 (CIFAR ResNet-20, examples/cifar/resnet.net), r50 (ResNet-50,
 * examples/resnet/resnet50.net -D stride_in=3x3) and svgg (the small VGG of
 * tests/e2e/nets/small_vgg.net: LRN, max and strided average pooling, fc +
 * ReLU, dropout, the ops the ResNets lack). For each, BUNDLE/NAME/
 * holds NAME.weights (or NAME.weights.xz, decompressed here on first use),
 * x.npy (NAME_BATCH input images, NCHW float32) and y.npy (what
 * `netc run` computed for them on the CPU, same weights).
 *
 * Per network:
 *   check  forward at batch 1 (the first image) and at NAME_BATCH; error =
 *          max|gpu - cpu| / max(1, max|cpu|) over the outputs, limit 1e-4;
 *          every output finite
 *   repeat the last timed pass gives bit-for-bit the checked outputs
 *          (reported, not a failure: a race would usually show here)
 *   time   median wall-clock time of --iterations forward calls after
 *          --warmup calls, at batch 1 and NAME_BATCH. forward is synchronous
 *          (it copies the outputs back), so this is end to end: NCHW
 *          conversion on the host, input upload, kernels, output download.
 *          images/s and TFLOP/s (2 * MACs per image, MACs from
 *          `netc summary --json`) follow from it.
 *
 * Training libraries (netc compile --train, batch 64): r20t and r50t, the
 * same two ResNets with the same weights (BUNDLE/NAME/NAME.weights[.xz]).
 * Images and labels come from a seed (train_inputs.h), as they did for the
 * reference: one step of a CPU training library with direct convs
 * (train_reference.c), kept as loss.npy, logits.npy and before.npy /
 * after.npy, a sample of every parameter. Per network:
 *   check  the initial parameters equal the reference's; after one step with
 *          the recipe's lr, momentum and weight decay: the loss (relative),
 *          the logits (as above) and every parameter tensor (max|a-b| /
 *          max|b| over its sample) within 1e-3, and each tensor's change in
 *          the step within 0.1 of the CPU's in relative L2 (a wrong gradient
 *          shows there; see UPDATE_TOLERANCE)
 *   time   median of --iterations steps after --warmup steps (the loss is
 *          downloaded each step); images/s, and TFLOP/s counting a step as
 *          3x the forward's 2 * MACs per image
 *
 * Exit status: 0 all checks passed, 1 no usable GPU or any failure.
 * Nothing of LLVM, Halide's compiler, MLIR or netc is linked in; the CUDA
 * driver (libcuda.so.1) is opened at run time with dlopen. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "r20.h"
#include "r20t.h"
#include "r50.h"
#include "r50t.h"
#include "svgg.h"
#include "train_inputs.h"

#ifndef R20_MACS
#error "build with -DR20_MACS=... (netc summary --json)"
#endif
#ifndef R50_MACS
#error "build with -DR50_MACS=... (netc summary --json)"
#endif
#ifndef SVGG_MACS
#error "build with -DSVGG_MACS=... (netc summary --json)"
#endif

#define TOLERANCE 1e-4
#define TRAIN_TOLERANCE 1e-3  /* loss, logits, parameters after the step */
/* The step's change of each tensor, relative L2: catches a wrong gradient. Float
 * reordering alone (the CPU's Winograd vs direct kernels, same bundle weights)
 * moves it by up to 1.2e-2 (ResNet-20 stage3.2.conv1: its gradient nearly
 * cancels); an error in a kernel moves it by O(1). */
#define UPDATE_TOLERANCE 0.1

static double peak_tflops = 0; /* the GPU's fp32 peak: probe_gpu, or --peak-tflops */

/* ---- the CUDA driver, for the device check and its description ---- */
typedef int (*cu_init_t)(unsigned);
typedef int (*cu_count_t)(int *);
typedef int (*cu_get_t)(int *, int);
typedef int (*cu_name_t)(char *, int, int);
typedef int (*cu_attr_t)(int *, int, int);
typedef int (*cu_mem_t)(size_t *, int);
typedef int (*cu_ver_t)(int *);

/* Opens libcuda globally: Halide's CUDA runtime looks its symbols up in the
 * process first and only then tries "libcuda.so", which many machines (and
 * containers) lack: only libcuda.so.1 is installed there. Returns 0 and
 * describes the device, or prints why not and returns 1. */
static int probe_gpu(void) {
  const char *names[] = {"libcuda.so.1", "libcuda.so"};
  void *lib = NULL;
  int i, n = 0, dev = 0, major = 0, minor = 0, version = 0, err;
  char name[256] = "?";
  size_t mem = 0;
  for (i = 0; i < 2 && !lib; ++i) lib = dlopen(names[i], RTLD_NOW | RTLD_GLOBAL);
  if (!lib) {
    fprintf(stderr, "gpu_check: no usable GPU: the CUDA driver could not be loaded (libcuda.so.1, libcuda.so): %s\n",
            dlerror());
    return 1;
  }
  cu_init_t cu_init = (cu_init_t)dlsym(lib, "cuInit");
  cu_count_t cu_count = (cu_count_t)dlsym(lib, "cuDeviceGetCount");
  cu_get_t cu_get = (cu_get_t)dlsym(lib, "cuDeviceGet");
  cu_name_t cu_name = (cu_name_t)dlsym(lib, "cuDeviceGetName");
  cu_attr_t cu_attr = (cu_attr_t)dlsym(lib, "cuDeviceGetAttribute");
  cu_mem_t cu_mem = (cu_mem_t)dlsym(lib, "cuDeviceTotalMem_v2");
  cu_ver_t cu_ver = (cu_ver_t)dlsym(lib, "cuDriverGetVersion");
  if (!cu_init || !cu_count || !cu_get) {
    fprintf(stderr, "gpu_check: no usable GPU: libcuda lacks cuInit/cuDeviceGetCount\n");
    return 1;
  }
  if ((err = cu_init(0)) != 0) {
    fprintf(stderr, "gpu_check: no usable GPU: cuInit failed (CUresult %d)\n", err);
    return 1;
  }
  if ((err = cu_count(&n)) != 0 || n < 1) {
    fprintf(stderr, "gpu_check: no usable GPU: no CUDA device (CUresult %d, %d devices)\n", err, n);
    return 1;
  }
  cu_get(&dev, 0);
  if (cu_name) cu_name(name, (int)sizeof name, dev);
  if (cu_attr) {
    cu_attr(&major, 75, dev); /* CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR */
    cu_attr(&minor, 76, dev); /* ..._MINOR */
  }
  if (cu_mem) cu_mem(&mem, dev);
  if (cu_ver) cu_ver(&version);
  printf("device: %s, compute capability %d.%d, %.1f GiB, driver API %d.%d, %d device(s); using device 0\n",
         name, major, minor, mem / 1073741824.0, version / 1000, version % 1000 / 10, n);
  if (cu_attr && peak_tflops == 0) {
    /* fp32 peak = SMs x clock x FP32 lanes per SM x 2 (an FMA is two flops);
     * lanes: 64 on sm_60/70/80, 128 on sm_61 and sm_86 and newer. */
    int sms = 0, khz = 0;
    int lanes = major == 7 || ((major == 6 || major == 8) && minor == 0) ? 64 : 128;
    cu_attr(&sms, 16, dev); /* CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT */
    cu_attr(&khz, 13, dev); /* ..._CLOCK_RATE, kHz */
    peak_tflops = 2.0 * sms * (khz * 1e3) * lanes / 1e12;
    printf("fp32 peak: %.1f TFLOP/s (%d SMs x %.2f GHz x %d lanes x 2; --peak-tflops overrides)\n",
           peak_tflops, sms, khz / 1e6, lanes);
  }
  return 0;
}

/* ---- .npy (little-endian float32, C order) ---- */
static float *load_npy(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  unsigned char pre[10];
  char header[4096];
  size_t len, n = 1, got;
  float *data;
  const char *s;
  if (!f) {
    fprintf(stderr, "gpu_check: cannot open %s\n", path);
    return NULL;
  }
  if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) {
    fprintf(stderr, "gpu_check: %s: not a version-1 .npy file\n", path);
    fclose(f);
    return NULL;
  }
  len = (size_t)pre[8] | (size_t)pre[9] << 8;
  if (len >= sizeof header || fread(header, 1, len, f) != len) {
    fclose(f);
    return NULL;
  }
  header[len] = 0;
  if (!strstr(header, "'<f4'") || !strstr(header, "'fortran_order': False") ||
      !(s = strstr(header, "'shape': ("))) {
    fprintf(stderr, "gpu_check: %s: expected C-order float32 (<f4): %s\n", path, header);
    fclose(f);
    return NULL;
  }
  for (s += 10; *s && *s != ')';) {
    char *end;
    long d = strtol(s, &end, 10);
    if (end == s) {
      ++s;
      continue;
    }
    n *= (size_t)d;
    s = end;
  }
  data = (float *)malloc(n * sizeof *data + 1);
  got = data ? fread(data, sizeof *data, n, f) : 0;
  fclose(f);
  if (got != n) {
    fprintf(stderr, "gpu_check: %s: truncated\n", path);
    free(data);
    return NULL;
  }
  *count = n;
  return data;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ---- one network: the library's functions behind one interface ---- */
typedef struct {
  const char *name, *what;
  int (*init)(void **, const char *);
  int (*forward)(void *, const float *, float *, int, void *);
  void (*release)(void *);
  const char *(*status)(int);
  size_t workspace;
  int batch;
  size_t in_per_image, out_per_image;
  double macs;
  int (*profiled)(void *, const float *, float *, int, void *, double *);
  int (*calls)(void);
  const char *(*call_name)(int);
  double (*call_macs)(int);
  int profile; /* print the per-layer profile */
} net_t;

#define NET_WRAP(P, U)                                                                           \
  static int P##_init_(void **m, const char *w) { return P##_init((P##_model **)m, w); }          \
  static int P##_forward_(void *m, const float *x, float *y, int b, void *ws) {                  \
    return P##_forward((P##_model *)m, x, y, b, ws);                                             \
  }                                                                                              \
  static void P##_free_(void *m) { P##_free((P##_model *)m); }                                   \
  static int P##_profiled_(void *m, const float *x, float *y, int b, void *ws, double *t) {      \
    return P##_forward_profiled((P##_model *)m, x, y, b, ws, t);                                 \
  }
#define NET_ENTRY(P, U, WHAT, PROFILE)                                                           \
  {#P, WHAT, P##_init_, P##_forward_, P##_free_, P##_status_string, U##_WORKSPACE_BYTES,         \
   U##_BATCH, (size_t)U##_INPUT_C * U##_INPUT_H * U##_INPUT_W, (size_t)U##_OUTPUT_ELEMENTS,      \
   (double)U##_MACS, P##_profiled_, P##_call_count, P##_call_name, P##_call_macs, PROFILE}

NET_WRAP(r20, R20)
NET_WRAP(r50, R50)
NET_WRAP(svgg, SVGG)

static const net_t NETS[] = {
    NET_ENTRY(r20, R20, "CIFAR ResNet-20 (examples/cifar/resnet.net)", 0),
    NET_ENTRY(r50, R50, "ResNet-50 (examples/resnet/resnet50.net -D stride_in=3x3)", 1),
    NET_ENTRY(svgg, SVGG, "small VGG (tests/e2e/nets/small_vgg.net): the ops the ResNets lack: "
                          "LRN, max and strided average pooling, fc + ReLU, dropout", 0),
};

/* ---- per-layer profile: every kernel call timed (device-synced) ---- */
#define PROFILE_REPS 5

/* t holds reps rows of ncalls times; prints each conv call's median time,
 * TFLOP/s (2 * MACs * batch / time) and share of the fp32 peak, then the
 * totals. */
static void print_profile(int ncalls, const char *(*name)(int), double (*macs)(int),
                          const double *t, int reps, int batch) {
  double med[4096], v[PROFILE_REPS], conv = 0, all = 0, flops = 0;
  int k, r;
  for (k = 0; k < ncalls && k < 4096; ++k) {
    for (r = 0; r < reps; ++r) v[r] = t[r * ncalls + k];
    qsort(v, (size_t)reps, sizeof *v, cmp_double);
    med[k] = v[reps / 2];
    all += med[k];
    if (macs(k) > 0) conv += med[k], flops += 2.0 * macs(k) * batch;
  }
  printf("  per-layer profile (median of %d passes, each call followed by a device sync):\n", reps);
  printf("    %-46s %9s %9s %9s %7s\n", "conv call", "GMAC/img", "ms", "TFLOP/s", "% peak");
  for (k = 0; k < ncalls && k < 4096; ++k) {
    double tf;
    if (macs(k) <= 0) continue;
    tf = 2.0 * macs(k) * batch / med[k] / 1e12;
    printf("    %-46.46s %9.4f %9.3f %9.3f", name(k), macs(k) / 1e9, med[k] * 1e3, tf);
    if (peak_tflops > 0) printf(" %6.1f%%", 100.0 * tf / peak_tflops);
    printf("\n");
  }
  printf("    convs: %.3f ms of %.3f ms in all %d calls; %.3f TFLOP/s", conv * 1e3, all * 1e3, ncalls,
         conv > 0 ? flops / conv / 1e12 : 0);
  if (peak_tflops > 0 && conv > 0)
    printf(", %.1f%% of the fp32 peak", 100.0 * flops / conv / 1e12 / peak_tflops);
  printf("\n");
}

/* Prints the profile pt (PROFILE_REPS passes) when they all ran, and frees it. */
static void finish_profile(int (*calls)(void), const char *(*name)(int), double (*macs)(int),
                           double *pt, int ran, int batch) {
  if (pt && ran) print_profile(calls(), name, macs, pt, PROFILE_REPS, batch);
  else if (pt) printf("  per-layer profile: a profiled pass failed\n");
  free(pt);
}

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

/* NAME.weights, decompressed from NAME.weights.xz when only that is there
 * (xz, else Python's lzma module). */
static int ensure_weights(const char *path) {
  char cmd[16384];
  if (exists(path)) return 0;
  if (strchr(path, '\'') || strlen(path) > 2000) {
    fprintf(stderr, "gpu_check: %s.xz: decompress it by hand (odd path)\n", path);
    return 1;
  }
  snprintf(cmd, sizeof cmd, "%s.xz", path);
  if (!exists(cmd)) {
    fprintf(stderr, "gpu_check: %s is missing\n", path);
    return 1;
  }
  printf("decompressing %s.xz ...\n", path);
  fflush(stdout);
  snprintf(cmd, sizeof cmd,
           "(xz -dc '%s.xz' > '%s.tmp' 2>/dev/null || python3 -c 'import lzma,shutil,sys; "
           "shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], \"wb\"))' '%s.xz' '%s.tmp')"
           " && mv '%s.tmp' '%s'",
           path, path, path, path, path, path);
  if (system(cmd) != 0 || !exists(path)) {
    fprintf(stderr, "gpu_check: could not decompress %s.xz (no xz, no python3 lzma?)\n", path);
    return 1;
  }
  return 0;
}

/* max|a-b| / max(1, max|b|); -1 if a holds a non-finite value. */
static double rel_error(const float *a, const float *b, size_t n) {
  double d = 0, m = 1;
  size_t i;
  for (i = 0; i < n; ++i) {
    if (!isfinite(a[i])) return -1;
    if (fabs((double)a[i] - b[i]) > d) d = fabs((double)a[i] - b[i]);
    if (fabs((double)b[i]) > m) m = fabs((double)b[i]);
  }
  return d / m;
}

static int failures = 0;

/* A library's init status: 0 to go on; no usable GPU ends the program. */
static int init_ok(const char *name, const char *(*status)(int), int s) {
  if (s == NETC_ERR_DEVICE) {
    fprintf(stderr, "gpu_check: no usable GPU: %s_init: %s\n", name, status(s));
    exit(1);
  }
  if (s != 0) fprintf(stderr, "gpu_check: %s_init: %s\n", name, status(s));
  return s;
}

/* --skip NAME: networks not to run (comma-separated, or repeated). */
static char skip_list[1024] = ",";
static int skipped(const char *name) {
  char key[64];
  snprintf(key, sizeof key, ",%s,", name);
  return strstr(skip_list, key) != NULL;
}

static int run_net(const net_t *n, const char *dir, int iters, int warmup) {
  char wpath[2048], xpath[2048], ypath[2048];
  size_t nx = 0, ny = 0;
  float *x, *y, *out = NULL, *first = NULL;
  double *t = NULL;
  void *model = NULL, *ws = NULL;
  int s, bi, i, batches[2] = {1, n->batch};
  snprintf(wpath, sizeof wpath, "%s/%s/%s.weights", dir, n->name, n->name);
  snprintf(xpath, sizeof xpath, "%s/%s/x.npy", dir, n->name);
  snprintf(ypath, sizeof ypath, "%s/%s/y.npy", dir, n->name);
  printf("\n%s: %s, library batch %d, %.3f GMACs per image\n", n->name, n->what, n->batch,
         n->macs / 1e9);
  if (ensure_weights(wpath)) return 1;
  x = load_npy(xpath, &nx);
  y = load_npy(ypath, &ny);
  if (!x || !y || nx != n->in_per_image * n->batch || ny != n->out_per_image * n->batch) {
    fprintf(stderr, "gpu_check: %s: x.npy/y.npy missing or not %d images\n", n->name, n->batch);
    return 1;
  }
  if (init_ok(n->name, n->status, n->init(&model, wpath)) != 0) return 1;
  out = (float *)malloc(ny * sizeof *out);
  first = (float *)malloc(ny * sizeof *first);
  t = (double *)malloc((size_t)iters * sizeof *t);
  if (!out || !first || !t || posix_memalign(&ws, 64, n->workspace + 64) != 0) {
    fprintf(stderr, "gpu_check: out of memory\n");
    return 1;
  }
  printf("  %-6s %-26s %-10s %10s %11s %9s\n", "batch", "check (rel. error)", "repeatable",
         "median ms", "images/s", "TFLOP/s");
  for (bi = 0; bi < 2; ++bi) {
    int b = batches[bi];
    size_t no = n->out_per_image * (size_t)b;
    double err, med;
    int same;
    s = n->forward(model, x, first, b, ws);
    if (s != 0) {
      fprintf(stderr, "gpu_check: %s_forward(batch %d): %s\n", n->name, b, n->status(s));
      ++failures;
      continue;
    }
    err = rel_error(first, y, no);
    for (i = 0; i < warmup && s == 0; ++i) s = n->forward(model, x, out, b, ws);
    for (i = 0; i < iters && s == 0; ++i) {
      double t0 = now();
      s = n->forward(model, x, out, b, ws);
      t[i] = now() - t0;
    }
    if (s != 0) {
      fprintf(stderr, "gpu_check: %s_forward(batch %d), timed: %s\n", n->name, b, n->status(s));
      ++failures;
      continue;
    }
    same = memcmp(out, first, no * sizeof *out) == 0;
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    med = t[iters / 2];
    if (err < 0 || err > TOLERANCE) ++failures;
    {
      char check[64];
      if (err < 0) snprintf(check, sizeof check, "FAIL (non-finite)");
      else snprintf(check, sizeof check, "%s %.2e", err <= TOLERANCE ? "ok" : "FAIL", err);
      printf("  %-6d %-26s %-10s %10.3f %11.1f %9.3f\n", b, check, same ? "yes" : "NO", med * 1e3,
             b / med, 2.0 * n->macs * b / med / 1e12);
    }
    fflush(stdout);
  }
  if (n->profile && failures == 0) {
    int nc = n->calls(), r;
    double *pt = (double *)malloc((size_t)nc * PROFILE_REPS * sizeof *pt);
    for (r = 0, s = 0; pt && r < PROFILE_REPS && s == 0; ++r)
      s = n->profiled(model, x, out, n->batch, ws, pt + (size_t)r * nc);
    finish_profile(n->calls, n->call_name, n->call_macs, pt, s == 0, n->batch);
  }
  n->release(model);
  free(ws);
  free(x);
  free(y);
  free(out);
  free(first);
  free(t);
  return 0;
}

/* ---- one training library ---- */
typedef struct {
  const char *name, *what;
  int (*init)(void **, const char *);
  int (*step)(void *, const float *, const int32_t *, void *, float *, float *);
  void (*release)(void *);
  const char *(*status)(int);
  int (*param_count)(void);
  int64_t (*param_size)(int);
  const char *(*param_name)(int);
  float *(*param_data)(void *, int);
  size_t workspace;
  int batch, classes;
  size_t in_per_image;
  double macs;
  uint64_t seed; /* of train_inputs.h; make_bundle.sh passes the same one */
  int (*profiled)(void *, const float *, const int32_t *, void *, float *, float *, double *);
  int (*calls)(void);
  const char *(*call_name)(int);
  double (*call_macs)(int);
  int profile;
} train_t;

#define TRAIN_WRAP(P, U)                                                                         \
  static int P##_init_(void **m, const char *w) { return P##_init((P##_model **)m, w); }          \
  static int P##_step_(void *m, const float *x, const int32_t *l, void *ws, float *loss,         \
                       float *logits) {                                                          \
    return P##_train_step((P##_model *)m, x, l, U##_RECIPE_LR, U##_RECIPE_MOMENTUM,              \
                          U##_RECIPE_WEIGHT_DECAY, ws, loss, logits);                            \
  }                                                                                              \
  static void P##_free_(void *m) { P##_free((P##_model *)m); }                                   \
  static float *P##_data_(void *m, int i) { return P##_param_data((P##_model *)m, i); }          \
  static int P##_profiled_(void *m, const float *x, const int32_t *l, void *ws, float *loss,     \
                           float *logits, double *t) {                                           \
    return P##_train_step_profiled((P##_model *)m, x, l, U##_RECIPE_LR, U##_RECIPE_MOMENTUM,     \
                                   U##_RECIPE_WEIGHT_DECAY, ws, loss, logits, t);                \
  }
#define TRAIN_ENTRY(P, U, MACS, SEED, WHAT, PROFILE)                                             \
  {#P, WHAT, P##_init_, P##_step_, P##_free_, P##_status_string, P##_param_count,                \
   P##_param_size, P##_param_name, P##_data_, U##_WORKSPACE_BYTES, U##_BATCH, U##_CLASSES,       \
   (size_t)U##_INPUT_C * U##_INPUT_H * U##_INPUT_W, (double)MACS, SEED, P##_profiled_,           \
   P##_call_count, P##_call_name, P##_call_macs, PROFILE}

TRAIN_WRAP(r20t, R20T)
TRAIN_WRAP(r50t, R50T)

static const train_t TRAINS[] = {
    TRAIN_ENTRY(r20t, R20T, R20_MACS, 20, "CIFAR ResNet-20 training step", 0),
    TRAIN_ENTRY(r50t, R50T, R50_MACS, 50, "ResNet-50 training step (stride in the 3x3 convs)", 1),
};

/* The train_inputs.h sample of every parameter, concatenated; 0 if a
 * download failed. */
static int64_t sample_params(const train_t *n, void *m, float *out) {
  int64_t k, c, total = 0;
  int i;
  for (i = 0; i < n->param_count(); ++i) {
    const float *p = n->param_data(m, i);
    c = n->param_size(i);
    if (!p) return 0;
    for (k = 0; k < gc_sample_count(c); ++k) out[total++] = p[gc_sample_index(c, k)];
  }
  return total;
}

/* Per tensor, over its sample: the parameters after the step, max|a-b| /
 * max|b|, and the step's change, ||(a-a0) - (b-b0)|| / ||b-b0|| (L2); the
 * worst tensor of each goes to *param and *update (their index to *pi, *ui). */
static void compare_params(const train_t *n, const float *a0, const float *a, const float *b0,
                           const float *b, double *param, int *pi, double *update, int *ui) {
  int64_t k, at = 0;
  int i;
  *param = *update = 0;
  *pi = *ui = 0;
  for (i = 0; i < n->param_count(); ++i) {
    int64_t c = gc_sample_count(n->param_size(i));
    double d = 0, m = 1e-30, du = 0, mu = 0, e;
    for (k = at; k < at + c; ++k) {
      double diff = ((double)a[k] - a0[k]) - ((double)b[k] - b0[k]);
      if (!isfinite(a[k])) d = 1e30;
      d = fmax(d, fabs((double)a[k] - b[k]));
      m = fmax(m, fabs((double)b[k]));
      du += diff * diff;
      mu += ((double)b[k] - b0[k]) * ((double)b[k] - b0[k]);
    }
    at += c;
    if ((e = d / m) > *param) *param = e, *pi = i;
    if (mu > 0 && (e = sqrt(du / mu)) > *update) *update = e, *ui = i;
  }
}

static int run_train(const train_t *n, const char *dir, int iters, int warmup) {
  char path[2048], wpath[2048];
  size_t nl = 0, nlg = 0, nb = 0, na = 0;
  float *x, *loss_ref, *logits_ref, *before_ref, *after_ref, *logits, *before, *after, loss = 0;
  int32_t *labels;
  double *t, perr, uerr, lerr, gerr, med;
  void *model = NULL, *ws = NULL;
  int s, i, pi, ui, ok;
  const int64_t values = (int64_t)n->in_per_image * n->batch;
  printf("\n%s: %s, batch %d, %.3f GMACs per image forward\n", n->name, n->what, n->batch,
         n->macs / 1e9);
  snprintf(wpath, sizeof wpath, "%s/%s/%s.weights", dir, n->name, n->name);
  if (ensure_weights(wpath)) return 1;
#define REF(var, file, count)                                      \
  snprintf(path, sizeof path, "%s/%s/" file, dir, n->name);        \
  var = load_npy(path, &count);                                    \
  if (!var) return 1;
  REF(loss_ref, "loss.npy", nl)
  REF(logits_ref, "logits.npy", nlg)
  REF(before_ref, "before.npy", nb)
  REF(after_ref, "after.npy", na)
#undef REF
  x = (float *)malloc((size_t)values * sizeof *x);
  labels = (int32_t *)malloc((size_t)n->batch * sizeof *labels);
  logits = (float *)malloc(nlg * sizeof *logits);
  before = (float *)malloc(nb * sizeof *before);
  after = (float *)malloc(nb * sizeof *after);
  t = (double *)malloc((size_t)iters * sizeof *t);
  if (!x || !labels || !logits || !before || !after || !t || nl != 1 ||
      nlg != (size_t)n->batch * n->classes || na != nb ||
      posix_memalign(&ws, 64, n->workspace + 64) != 0) {
    fprintf(stderr, "gpu_check: %s: out of memory, or references of the wrong size\n", n->name);
    return 1;
  }
  gc_train_inputs(n->seed, values, n->batch, n->classes, x, labels);
  if (init_ok(n->name, n->status, n->init(&model, wpath)) != 0) return 1;
  if ((size_t)sample_params(n, model, before) != nb || memcmp(before, before_ref, nb * 4) != 0) {
    fprintf(stderr, "gpu_check: %s: the initial parameters differ from the reference's\n", n->name);
    return 1;
  }
  s = n->step(model, x, labels, ws, &loss, logits);
  if (s != 0 || (size_t)sample_params(n, model, after) != nb) {
    fprintf(stderr, "gpu_check: %s_train_step: %s\n", n->name, n->status(s));
    ++failures;
    n->release(model);
    return 0;
  }
  lerr = fabs((double)loss - loss_ref[0]) / fmax(fabs((double)loss_ref[0]), 1e-30);
  gerr = rel_error(logits, logits_ref, nlg);
  compare_params(n, before, after, before_ref, after_ref, &perr, &pi, &uerr, &ui);
  ok = lerr <= TRAIN_TOLERANCE && gerr >= 0 && gerr <= TRAIN_TOLERANCE &&
       perr <= TRAIN_TOLERANCE && uerr <= UPDATE_TOLERANCE;
  if (!ok) ++failures;
  printf("  check, one step vs the CPU: %s\n", ok ? "ok" : "FAIL");
  printf("    loss %.6f vs %.6f: %.2e (limit %g); logits %.2e (limit %g)\n", loss, loss_ref[0], lerr,
         TRAIN_TOLERANCE, gerr, TRAIN_TOLERANCE);
  printf("    parameters after the step, worst tensor %s: %.2e (limit %g)\n", n->param_name(pi),
         perr, TRAIN_TOLERANCE);
  printf("    the step's change (relative L2), worst tensor %s: %.2e (limit %g)\n",
         n->param_name(ui), uerr, UPDATE_TOLERANCE);
  /* Timed steps keep training (the loss is downloaded each step, the logits
   * not); a non-finite loss still ran every kernel. */
  for (i = 0; i < warmup; ++i) n->step(model, x, labels, ws, &loss, NULL);
  for (i = 0; i < iters; ++i) {
    double t0 = now();
    s = n->step(model, x, labels, ws, &loss, NULL);
    t[i] = now() - t0;
    if (s != 0 && s != NETC_ERR_NONFINITE) {
      fprintf(stderr, "gpu_check: %s_train_step, timed: %s\n", n->name, n->status(s));
      ++failures;
      break;
    }
  }
  if (i == iters) {
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    med = t[iters / 2];
    printf("  time: median %.3f ms per step, %.1f images/s, %.3f TFLOP/s (3x forward)\n",
           med * 1e3, n->batch / med, 6.0 * n->macs * n->batch / med / 1e12);
  }
  if (n->profile && ok) {
    int nc = n->calls(), r;
    double *pt = (double *)malloc((size_t)nc * PROFILE_REPS * sizeof *pt);
    for (r = 0, s = 0; pt && r < PROFILE_REPS && (s == 0 || s == NETC_ERR_NONFINITE); ++r)
      s = n->profiled(model, x, labels, ws, &loss, NULL, pt + (size_t)r * nc);
    finish_profile(n->calls, n->call_name, n->call_macs, pt, s == 0 || s == NETC_ERR_NONFINITE,
                   n->batch);
  }
  fflush(stdout);
  n->release(model);
  free(ws);
  free(x), free(labels), free(logits), free(before), free(after), free(t);
  free(loss_ref), free(logits_ref), free(before_ref), free(after_ref);
  return 0;
}

/* The directory holding this executable: the bundle, by default. */
static void exe_dir(char *buf, size_t size) {
  ssize_t len = readlink("/proc/self/exe", buf, size - 1);
  char *slash;
  if (len <= 0) {
    snprintf(buf, size, ".");
    return;
  }
  buf[len] = 0;
  slash = strrchr(buf, '/');
  if (slash) *slash = 0;
}

int main(int argc, char **argv) {
  char dir[1024];
  int iters = 30, warmup = 5, i;
  exe_dir(dir, sizeof dir);
  for (i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--dir") && i + 1 < argc) snprintf(dir, sizeof dir, "%s", argv[++i]);
    else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) iters = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--peak-tflops") && i + 1 < argc) peak_tflops = atof(argv[++i]);
    else if (!strcmp(argv[i], "--skip") && i + 1 < argc) {
      size_t len = strlen(skip_list);
      snprintf(skip_list + len, sizeof skip_list - len, "%s,", argv[++i]);
    }
    else {
      fprintf(stderr,
              "usage: %s [--dir BUNDLE] [--iterations N (30)] [--warmup N (5)] [--peak-tflops T]\n"
              "          [--skip NAME[,NAME...]]  (r20, r50, svgg, r20t, r50t)\n"
              "Checks the CUDA libraries of CIFAR ResNet-20, ResNet-50 and a small VGG against\n"
              "CPU outputs (max|gpu-cpu| / max(1, max|cpu|) <= %g) and times them;\n"
              "exit 1 on any failure or without a usable GPU.\n",
              argv[0], TOLERANCE);
      return 1;
    }
  }
  if (iters < 1 || warmup < 0) {
    fprintf(stderr, "gpu_check: --iterations must be >= 1, --warmup >= 0\n");
    return 1;
  }
#ifndef GPU_CHECK_ON_CPU
  if (probe_gpu() != 0) return 1;
#else /* a build against CPU libraries, to test this program where no GPU is */
  (void)probe_gpu;
#endif
  printf("bundle: %s; times: median of %d forward calls after %d warm-up calls, wall clock, "
         "host<->device copies included\n",
         dir, iters, warmup);
  for (i = 0; i < (int)(sizeof NETS / sizeof NETS[0]); ++i)
    if (skipped(NETS[i].name)) printf("\n%s: skipped (--skip)\n", NETS[i].name);
    else if (run_net(&NETS[i], dir, iters, warmup) != 0) ++failures;
  for (i = 0; i < (int)(sizeof TRAINS / sizeof TRAINS[0]); ++i)
    if (skipped(TRAINS[i].name)) printf("\n%s: skipped (--skip)\n", TRAINS[i].name);
    else if (run_train(&TRAINS[i], dir, iters, warmup) != 0) ++failures;
  printf("\ngpu_check: %s\n", failures ? "FAIL"
                                         : "PASS (forward within 1e-4 of the CPU's, training "
                                           "steps within 1e-3)");
  return failures ? 1 : 0;
}
