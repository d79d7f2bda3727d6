/* classify.c: run a network compiled ahead of time by `netc compile` from
 * a plain C99 program.
 *
 *   classify [--weights W] [--input X.f32] [--output Y.f32] [--batch N] [--seed S]
 *
 * --input   raw float32 images, NCHW, native byte order (N x C x H x W);
 *           without it, N pseudo-random images (fixed seed, about N(0, 1))
 * --batch   the number of images N (default: as many as --input holds, else
 *           the library's NAME_BATCH); forward() is called on chunks of at
 *           most NAME_BATCH images
 * --weights the .weights file netc wrote (default: the embedded weights when
 *           the library has them, else NETC_DEFAULT_WEIGHTS if compiled in)
 * --output  writes the raw float32 outputs (N x NAME_OUTPUT_C x _H x _W)
 *
 * Prints the top-1 class of every image. Exit status 1 on any error.
 *
 * One source serves any network: compile with
 *   -DNETC_NET=resnet20 -DNETC_NET_UPPER=RESNET20 [-DNETC_HEADER='"resnet20.h"']
 * (the functions are NAME_..., the constants NAME-in-capitals_...).
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NETC_NET
#define NETC_NET resnet20
#endif
#ifndef NETC_NET_UPPER
#define NETC_NET_UPPER RESNET20
#endif

#define NETC_CAT_(a, b) a##b
#define NETC_CAT(a, b) NETC_CAT_(a, b)
#define NETC_STR_(x) #x
#define NETC_STR(x) NETC_STR_(x)
#ifndef NETC_HEADER
#define NETC_HEADER_OF_(n) NETC_STR_(n.h)
#define NETC_HEADER NETC_HEADER_OF_(NETC_NET)
#endif

#include NETC_HEADER

/* NET(_init) is resnet20_init, NETM(_BATCH) is RESNET20_BATCH. */
#define NET(suffix) NETC_CAT(NETC_NET, suffix)
#define NETM(suffix) NETC_CAT(NETC_NET_UPPER, suffix)

#define IN_PER_IMAGE ((size_t)NETM(_INPUT_C) * NETM(_INPUT_H) * NETM(_INPUT_W))
#define OUT_PER_IMAGE ((size_t)NETM(_OUTPUT_C) * NETM(_OUTPUT_H) * NETM(_OUTPUT_W))

typedef NET(_model) model_t;

static void usage(FILE *f, const char *argv0) {
  fprintf(f,
          "usage: %s [--weights W] [--input X.f32] [--output Y.f32] [--batch N] [--seed S]\n"
          "  network %s: input %dx%dx%d, output %dx%dx%d, batch <= %d per call\n",
          argv0, NETC_STR(NETC_NET), NETM(_INPUT_C), NETM(_INPUT_H), NETM(_INPUT_W),
          NETM(_OUTPUT_C), NETM(_OUTPUT_H), NETM(_OUTPUT_W), NETM(_BATCH));
}

/* xorshift64*: a fixed, portable sequence. */
static uint64_t rng_next(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * UINT64_C(2685821657736338717);
}

/* Irwin-Hall: the sum of 12 uniforms in [0, 1) minus 6 is about N(0, 1). */
static float rng_normal(uint64_t *s) {
  double sum = 0.0;
  int i;
  for (i = 0; i < 12; ++i)
    sum += (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
  return (float)(sum - 6.0);
}

/* Reads a whole raw float32 file; *count is the number of floats. */
static float *read_floats(const char *path, size_t *count) {
  FILE *f = fopen(path, "rb");
  long bytes;
  float *data;
  if (!f) {
    perror(path);
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (bytes = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    perror(path);
    fclose(f);
    return NULL;
  }
  if (bytes == 0 || bytes % (long)sizeof(float) != 0) {
    fprintf(stderr, "%s: %ld bytes is not a whole number of float32 values\n", path, bytes);
    fclose(f);
    return NULL;
  }
  *count = (size_t)bytes / sizeof(float);
  data = (float *)malloc((size_t)bytes);
  if (!data || fread(data, sizeof(float), *count, f) != *count) {
    fprintf(stderr, "%s: cannot read %ld bytes\n", path, bytes);
    free(data);
    fclose(f);
    return NULL;
  }
  fclose(f);
  return data;
}

static int parse_count(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 1)
    return 0;
  *out = v;
  return 1;
}

int main(int argc, char **argv) {
  const char *weights = NULL, *input_path = NULL, *output_path = NULL;
  long images = 0, seed = 1;
  int i, status, exit_code = 1;
  size_t n, done, ws_bytes;
  float *input = NULL, *output = NULL;
  void *workspace = NULL;
  model_t *model = NULL;
  uint64_t rng;

  for (i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout, argv[0]);
      return 0;
    }
    if (i + 1 >= argc) {
      usage(stderr, argv[0]);
      return 1;
    }
    if (!strcmp(a, "--weights"))
      weights = argv[++i];
    else if (!strcmp(a, "--input"))
      input_path = argv[++i];
    else if (!strcmp(a, "--output"))
      output_path = argv[++i];
    else if (!strcmp(a, "--batch") && parse_count(argv[i + 1], &images))
      ++i;
    else if (!strcmp(a, "--seed") && parse_count(argv[i + 1], &seed))
      ++i;
    else {
      fprintf(stderr, "%s: bad argument '%s'\n", argv[0], a);
      usage(stderr, argv[0]);
      return 1;
    }
  }
  if (!weights && !NETM(_HAS_EMBEDDED_WEIGHTS)) {
#ifdef NETC_DEFAULT_WEIGHTS
    weights = NETC_DEFAULT_WEIGHTS;
#else
    fprintf(stderr, "%s: %s has no embedded weights: give --weights FILE.weights\n", argv[0],
            NETC_STR(NETC_NET));
    return 1;
#endif
  }

  /* The images. */
  if (input_path) {
    size_t count = 0;
    if (!(input = read_floats(input_path, &count)))
      return 1;
    if (count % IN_PER_IMAGE != 0) {
      fprintf(stderr, "%s: %lu floats is not a whole number of %dx%dx%d images\n", input_path,
              (unsigned long)count, NETM(_INPUT_C), NETM(_INPUT_H), NETM(_INPUT_W));
      goto out;
    }
    if (images == 0)
      images = (long)(count / IN_PER_IMAGE);
    else if ((size_t)images != count / IN_PER_IMAGE) {
      fprintf(stderr, "%s: holds %lu images, --batch says %ld\n", input_path,
              (unsigned long)(count / IN_PER_IMAGE), images);
      goto out;
    }
    n = (size_t)images;
  } else {
    size_t k;
    n = images ? (size_t)images : (size_t)NETM(_BATCH);
    if (!(input = (float *)malloc(n * IN_PER_IMAGE * sizeof(float)))) {
      fprintf(stderr, "%s: out of memory\n", argv[0]);
      goto out;
    }
    rng = UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)seed;
    for (k = 0; k < n * IN_PER_IMAGE; ++k)
      input[k] = rng_normal(&rng);
  }
  if (!(output = (float *)malloc(n * OUT_PER_IMAGE * sizeof(float)))) {
    fprintf(stderr, "%s: out of memory\n", argv[0]);
    goto out;
  }

  /* The model and its workspace (64-byte aligned, for NAME_BATCH images). */
  status = NET(_init)(&model, weights);
  if (status != NETC_OK) {
    fprintf(stderr, "%s: init: %s\n", argv[0], NET(_status_string)(status));
    goto out;
  }
  ws_bytes = NET(_workspace_size)();
  if (posix_memalign(&workspace, 64, ws_bytes ? ws_bytes : 64) != 0) {
    fprintf(stderr, "%s: cannot allocate a %lu-byte workspace\n", argv[0], (unsigned long)ws_bytes);
    workspace = NULL;
    goto out;
  }

  for (done = 0; done < n;) {
    size_t chunk = n - done < (size_t)NETM(_BATCH) ? n - done : (size_t)NETM(_BATCH);
    status = NET(_forward)(model, input + done * IN_PER_IMAGE, output + done * OUT_PER_IMAGE,
                           (int)chunk, workspace);
    if (status != NETC_OK) {
      fprintf(stderr, "%s: forward: %s\n", argv[0], NET(_status_string)(status));
      goto out;
    }
    done += chunk;
  }

  /* Top-1 per image: the largest of K scores (rank 2), or the channel with
   * the largest mean over H x W (rank 4). */
  for (done = 0; done < n; ++done) {
    const float *o = output + done * OUT_PER_IMAGE;
    size_t hw = (size_t)NETM(_OUTPUT_H) * NETM(_OUTPUT_W), c, p;
    int best = 0;
    double best_score = 0.0;
    for (c = 0; c < (size_t)NETM(_OUTPUT_C); ++c) {
      double s = 0.0;
      for (p = 0; p < hw; ++p)
        s += o[c * hw + p];
      s /= (double)hw;
      if (c == 0 || s > best_score) {
        best = (int)c;
        best_score = s;
      }
    }
    printf("image %lu: class %d (%.6f)\n", (unsigned long)done, best, best_score);
  }

  if (output_path) {
    FILE *f = fopen(output_path, "wb");
    if (!f || fwrite(output, sizeof(float), n * OUT_PER_IMAGE, f) != n * OUT_PER_IMAGE) {
      perror(output_path);
      if (f)
        fclose(f);
      goto out;
    }
    if (fclose(f) != 0) {
      perror(output_path);
      goto out;
    }
  }
  exit_code = 0;

out:
  if (model)
    NET(_free)(model);
  free(workspace);
  free(output);
  free(input);
  return exit_code;
}
