/* train_reference: one training step of a CPU training library (netc compile
 * --train for x86-64-avx2, direct convs like the GPU's) on the inputs of
 * train_inputs.h, for gpu_check to compare its GPU step with.
 *
 *   train_reference WEIGHTS SEED OUT_DIR
 *
 * Build with -DNETC_NET=name -DNETC_NET_UPPER=NAME against name.a. Writes
 * OUT_DIR/loss.npy (1), logits.npy (BATCH x CLASSES), and before.npy and
 * after.npy: the train_inputs.h sample of every parameter (BN statistics
 * included), in the library's order, before and after the step; and
 * params.txt: each parameter's name and sample size, in that order. The step
 * uses the network's recipe (NAME_RECIPE_LR, _MOMENTUM, _WEIGHT_DECAY). */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_inputs.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(a) #a
#define STR(a) STR_(a)
#define FN(x) CAT(NETC_NET, x)
#define M(x) CAT(NETC_NET_UPPER, x)
#include STR(NETC_NET.h)

static int write_npy(const char *dir, const char *name, const float *v, int64_t n) {
  char path[4096], header[128];
  FILE *f;
  size_t len;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f) return 1;
  snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld,), }",
           (long long)n);
  len = strlen(header);
  while ((10 + len + 1) % 64 != 0) header[len++] = ' ';
  header[len++] = '\n';
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  fputc((int)(len & 255), f);
  fputc((int)(len >> 8), f);
  fwrite(header, 1, len, f);
  fwrite(v, sizeof *v, (size_t)n, f);
  return fclose(f) != 0;
}

/* The sample of every parameter, concatenated. */
static int64_t sample_all(FN(_model) * m, float *out) {
  int64_t n = 0, k;
  int i;
  for (i = 0; i < FN(_param_count)(); ++i) {
    int64_t c = FN(_param_size)(i);
    const float *p = FN(_param_data)(m, i);
    for (k = 0; k < gc_sample_count(c); ++k) out[n++] = p[gc_sample_index(c, k)];
  }
  return n;
}

int main(int argc, char **argv) {
  FN(_model) * m;
  const int64_t per_image = (int64_t)M(_INPUT_C) * M(_INPUT_H) * M(_INPUT_W);
  float *x, *logits, *before, *after, loss;
  int32_t labels[M(_BATCH)];
  void *ws;
  int s;
  int64_t n;
  if (argc != 4) {
    fprintf(stderr, "usage: %s WEIGHTS SEED OUT_DIR\n", argv[0]);
    return 1;
  }
  if ((s = FN(_init)(&m, argv[1])) != 0) {
    fprintf(stderr, "init: %s\n", FN(_status_string)(s));
    return 1;
  }
  x = (float *)malloc((size_t)(per_image * M(_BATCH)) * sizeof *x);
  logits = (float *)malloc((size_t)M(_BATCH) * M(_CLASSES) * sizeof *logits);
  before = (float *)malloc((size_t)FN(_param_count)() * GC_SAMPLES * sizeof *before);
  after = (float *)malloc((size_t)FN(_param_count)() * GC_SAMPLES * sizeof *after);
  if (!x || !logits || !before || !after || posix_memalign(&ws, 64, FN(_workspace_size)()) != 0)
    return 1;
  gc_train_inputs(strtoull(argv[2], 0, 10), per_image * M(_BATCH), M(_BATCH), M(_CLASSES), x,
                  labels);
  n = sample_all(m, before);
  s = FN(_train_step)(m, x, labels, M(_RECIPE_LR), M(_RECIPE_MOMENTUM), M(_RECIPE_WEIGHT_DECAY),
                      ws, &loss, logits);
  if (s != 0) {
    fprintf(stderr, "train_step: %s\n", FN(_status_string)(s));
    return 1;
  }
  sample_all(m, after);
  if (write_npy(argv[3], "loss.npy", &loss, 1) ||
      write_npy(argv[3], "logits.npy", logits, (int64_t)M(_BATCH) * M(_CLASSES)) ||
      write_npy(argv[3], "before.npy", before, n) || write_npy(argv[3], "after.npy", after, n)) {
    fprintf(stderr, "cannot write to %s\n", argv[3]);
    return 1;
  }
  {
    char path[4096];
    FILE *f;
    int i;
    snprintf(path, sizeof path, "%s/params.txt", argv[3]);
    if (!(f = fopen(path, "w"))) return 1;
    for (i = 0; i < FN(_param_count)(); ++i)
      fprintf(f, "%s %lld\n", FN(_param_name)(i), (long long)gc_sample_count(FN(_param_size)(i)));
    fclose(f);
  }
  printf("loss %.6f, %lld sampled parameter values\n", loss, (long long)n);
  FN(_free)(m);
  return 0;
}
