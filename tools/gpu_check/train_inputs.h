/* The training-step check's shared pieces (gpu_check.c and
 * train_reference.c): the same images and labels from a seed on both
 * machines, so the bundle carries no training inputs (ResNet-50's batch of
 * 64 would be 37 MiB), and the same sample of every parameter, so the
 * reference stays small (a few hundred values per tensor, not 98 MB). */
#ifndef NETC_GPU_CHECK_TRAIN_INPUTS_H
#define NETC_GPU_CHECK_TRAIN_INPUTS_H

#include <stdint.h>

/* xorshift64*: fast, and the same sequence everywhere. */
static uint64_t gc_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, 1) with 24 bits, exact in float. */
static float gc_uniform(uint64_t *s) { return (float)(gc_next(s) >> 40) * (1.0f / 16777216.0f); }

/* n images of roughly N(0, 1) (a sum of four uniforms, scaled: the
 * arithmetic is exact in float, so both machines get the same bits), and
 * labels uniform over the classes. */
static void gc_train_inputs(uint64_t seed, int64_t values, int batch, int classes, float *x,
                            int32_t *labels) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  int64_t i;
  int k;
  for (i = 0; i < values; ++i) {
    float u = gc_uniform(&s) + gc_uniform(&s) + gc_uniform(&s) + gc_uniform(&s);
    x[i] = (u - 2.0f) * 1.7320508f;
  }
  for (k = 0; k < batch; ++k) labels[k] = (int32_t)(gc_next(&s) % (uint64_t)classes);
}

/* The sample of a tensor of `count` values: GC_SAMPLES values (all of them
 * when fewer) at a fixed stride from the first. */
#define GC_SAMPLES 256
static int64_t gc_sample_count(int64_t count) { return count < GC_SAMPLES ? count : GC_SAMPLES; }
static int64_t gc_sample_index(int64_t count, int64_t k) {
  return count <= GC_SAMPLES ? k : k * (count / GC_SAMPLES);
}

#endif
