/* Times NAME_train_step of a --train library: the median of N steps after
 * 2 warm-up steps, on fixed pseudo-random images and labels, lr 0.01.
 * Built by bench/aot_train_bench.sh. usage: aot_train_bench WEIGHTS STEPS */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>

#include "aot_bench_common.h"

int main(int argc, char **argv) {
  const size_t in = (size_t)K(_BATCH) * K(_INPUT_C) * K(_INPUT_H) * K(_INPUT_W);
  int steps = argc > 2 ? atoi(argv[2]) : 10, i, s;
  size_t j;
  float *x = malloc(in * sizeof *x), loss = 0;
  int32_t labels[K(_BATCH)];
  double med, *t = malloc((size_t)(steps > 0 ? steps : 1) * sizeof *t), t0;
  void *ws = NULL;
  FN(_model) *m = NULL;
  if (argc < 2 || steps < 1 || !x || !t) {
    fprintf(stderr, "usage: %s WEIGHTS STEPS\n", argv[0]);
    return 1;
  }
  for (j = 0; j < in; ++j) x[j] = (float)((j * 7919u % 1000u) / 500.0 - 1.0);
  for (i = 0; i < K(_BATCH); ++i) labels[i] = i % K(_CLASSES);
  s = FN(_init)(&m, argv[1]);
  if (s == 0 && posix_memalign(&ws, 64, FN(_workspace_size)()) != 0) s = NETC_ERR_MEMORY;
  for (i = 0; s == 0 && i < 2; ++i) s = FN(_train_step)(m, x, labels, 0.01f, 0.9f, 5e-4f, ws, &loss, NULL);
  for (i = 0; s == 0 && i < steps; ++i) {
    t0 = now();
    s = FN(_train_step)(m, x, labels, 0.01f, 0.9f, 5e-4f, ws, &loss, NULL);
    t[i] = now() - t0;
  }
  if (s != 0) {
    fprintf(stderr, "%s\n", FN(_status_string)(s));
    return 1;
  }
  med = median(t, steps);
  printf("{\"batch\": %d, \"median_ms\": %.3f, \"images_per_second\": %.1f, \"loss\": %.4f}\n",
         K(_BATCH), med * 1e3, K(_BATCH) / med, loss);
  FN(_free)(m);
  free(ws);
  free(x);
  free(t);
  return 0;
}
