/* gpu_check: runs the CUDA libraries of `make gpu-check` on a GPU, checks
 * them against outputs computed on the CPU, and times them.
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
#include "r50.h"
#include "svgg.h"

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
} net_t;

#define NET_WRAP(P, U)                                                                           \
  static int P##_init_(void **m, const char *w) { return P##_init((P##_model **)m, w); }          \
  static int P##_forward_(void *m, const float *x, float *y, int b, void *ws) {                  \
    return P##_forward((P##_model *)m, x, y, b, ws);                                             \
  }                                                                                              \
  static void P##_free_(void *m) { P##_free((P##_model *)m); }
#define NET_ENTRY(P, U, WHAT)                                                                    \
  {#P, WHAT, P##_init_, P##_forward_, P##_free_, P##_status_string, U##_WORKSPACE_BYTES,         \
   U##_BATCH, (size_t)U##_INPUT_C * U##_INPUT_H * U##_INPUT_W, (size_t)U##_OUTPUT_ELEMENTS,      \
   (double)U##_MACS}

NET_WRAP(r20, R20)
NET_WRAP(r50, R50)
NET_WRAP(svgg, SVGG)

static const net_t NETS[] = {
    NET_ENTRY(r20, R20, "CIFAR ResNet-20 (examples/cifar/resnet.net)"),
    NET_ENTRY(r50, R50, "ResNet-50 (examples/resnet/resnet50.net -D stride_in=3x3)"),
    NET_ENTRY(svgg, SVGG, "small VGG (tests/e2e/nets/small_vgg.net): the ops the ResNets lack: "
                          "LRN, max and strided average pooling, fc + ReLU, dropout"),
};

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
  s = n->init(&model, wpath);
  if (s == NETC_ERR_DEVICE) {
    fprintf(stderr, "gpu_check: no usable GPU: %s_init: %s\n", n->name, n->status(s));
    exit(1);
  }
  if (s != 0) {
    fprintf(stderr, "gpu_check: %s_init: %s\n", n->name, n->status(s));
    return 1;
  }
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
  n->release(model);
  free(ws);
  free(x);
  free(y);
  free(out);
  free(first);
  free(t);
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
    else {
      fprintf(stderr,
              "usage: %s [--dir BUNDLE] [--iterations N (30)] [--warmup N (5)]\n"
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
    if (run_net(&NETS[i], dir, iters, warmup) != 0) ++failures;
  printf("\ngpu_check: %s\n", failures ? "FAIL" : "PASS (all outputs within 1e-4 of the CPU's)");
  return failures ? 1 : 0;
}
