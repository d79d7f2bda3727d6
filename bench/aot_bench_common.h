/* What the AOT bench programs share: the generated header picked by
 * -DNETC_NET=name -DNETC_NET_UPPER=NAME, FN()/K() for its prefixed names,
 * a monotonic clock and a median. */
#ifndef NETC_AOT_BENCH_COMMON_H
#define NETC_AOT_BENCH_COMMON_H

#include <stdlib.h>
#include <time.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(x) #x
#define HEADER_(n) STR_(n.h)
#include HEADER_(NETC_NET)
#define FN(suffix) CAT(NETC_NET, suffix)
#define K(suffix) CAT(NETC_NET_UPPER, suffix)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts t[0..n) and returns its median. */
static double median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  return t[n / 2];
}

#endif
