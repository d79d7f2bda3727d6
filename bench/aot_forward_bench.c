/* Times NAME_forward of an AOT library (netc compile --target -o): the
 * median of N passes after 3 warm-up passes, at the library's full batch.
 * Built by bench/aot_bench.sh against each library it compiles:
 *   cc -std=c99 -O2 -DNETC_NET=name -DNETC_NET_UPPER=NAME -I DIR
 *      aot_forward_bench.c DIR/name.a -lpthread -ldl -lm
 * usage: aot_forward_bench WEIGHTS ITERATIONS  -> prints one JSON line. */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>

#include "aot_bench_common.h"

int main(int argc, char **argv) {
  const size_t in = (size_t)K(_BATCH) * K(_INPUT_C) * K(_INPUT_H) * K(_INPUT_W);
  const size_t out = (size_t)K(_BATCH) * K(_OUTPUT_ELEMENTS);
  int iters = argc > 2 ? atoi(argv[2]) : 20, i, s;
  size_t j;
  FN(_model) *m = NULL;
  float *x = malloc(in * sizeof *x), *y = malloc(out * sizeof *y);
  void *ws = NULL;
  double med, *t = malloc((size_t)(iters > 0 ? iters : 1) * sizeof *t), t0;
  if (argc < 2 || iters < 1 || !x || !y || !t) {
    fprintf(stderr, "usage: %s WEIGHTS ITERATIONS\n", argv[0]);
    return 1;
  }
  s = FN(_init)(&m, argv[1]);
  if (s == 0 && posix_memalign(&ws, 64, FN(_workspace_size)() + 64) != 0) s = NETC_ERR_MEMORY;
  for (j = 0; j < in; ++j) x[j] = (float)((j * 7919u % 1000u) / 500.0 - 1.0);
  for (i = 0; s == 0 && i < 3; ++i) s = FN(_forward)(m, x, y, K(_BATCH), ws);
  for (i = 0; s == 0 && i < iters; ++i) {
    t0 = now();
    s = FN(_forward)(m, x, y, K(_BATCH), ws);
    t[i] = now() - t0;
  }
  if (s != 0) {
    fprintf(stderr, "%s\n", FN(_status_string)(s));
    return 1;
  }
  med = median(t, iters);
  printf("{\"batch\": %d, \"median_ms\": %.4f, \"images_per_second\": %.2f}\n", K(_BATCH),
         med * 1e3, K(_BATCH) / med);
  FN(_free)(m);
  free(ws);
  free(x);
  free(y);
  free(t);
  return 0;
}
