/* Runs STEPS training steps of a --train library on raw batches and dumps
 * the losses, the first step's logits and every parameter afterwards.
 *   cc -std=c99 -DNETC_NET=name -DNETC_NET_UPPER=NAME -I DIR train_step_check.c DIR/name.a ...
 *   train_step_check WEIGHTS DATA_DIR STEPS LR MOMENTUM WD OUT_DIR
 * DATA_DIR holds input_K.f32 and labels_K.i32; OUT_DIR gets losses.txt,
 * logits_0.f32, and params/NAME.f32 plus params/index.txt (name layout). */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define STR_(x) #x
#define HEADER_(n) STR_(n.h)
#include HEADER_(NETC_NET)
#define FN(s) CAT(NETC_NET, s)
#define K(s) CAT(NETC_NET_UPPER, s)

static int read_file(const char *path, void *dst, size_t bytes) {
  FILE *f = fopen(path, "rb");
  size_t got;
  if (!f) return 0;
  got = fread(dst, 1, bytes, f);
  fclose(f);
  return got == bytes;
}

static int write_file(const char *path, const void *src, size_t bytes) {
  FILE *f = fopen(path, "wb");
  int ok;
  if (!f) return 0;
  ok = fwrite(src, 1, bytes, f) == bytes;
  return fclose(f) == 0 && ok;
}

int main(int argc, char **argv) {
  enum { N = K(_BATCH), IMG = K(_INPUT_C) * K(_INPUT_H) * K(_INPUT_W) };
  static float images[N * IMG], logits[N * K(_CLASSES)];
  static int32_t labels[N];
  char path[4096];
  FN(_model) *m = NULL;
  void *ws = NULL;
  FILE *losses;
  int steps, s, st, i;
  float loss = 0;
  if (argc != 8) {
    fprintf(stderr, "usage: %s WEIGHTS DATA_DIR STEPS LR MOMENTUM WD OUT_DIR\n", argv[0]);
    return 1;
  }
  steps = atoi(argv[3]);
  st = FN(_init)(&m, argv[1]);
  if (st == 0 && posix_memalign(&ws, 64, FN(_workspace_size)()) != 0) st = NETC_ERR_MEMORY;
  snprintf(path, sizeof path, "%s/losses.txt", argv[7]);
  losses = fopen(path, "w");
  for (s = 0; st == 0 && s < steps; ++s) {
    snprintf(path, sizeof path, "%s/input_%d.f32", argv[2], s);
    if (!read_file(path, images, sizeof images)) return fprintf(stderr, "cannot read %s\n", path), 1;
    snprintf(path, sizeof path, "%s/labels_%d.i32", argv[2], s);
    if (!read_file(path, labels, sizeof labels)) return fprintf(stderr, "cannot read %s\n", path), 1;
    st = FN(_train_step)(m, images, labels, (float)atof(argv[4]), (float)atof(argv[5]),
                         (float)atof(argv[6]), ws, &loss, s == 0 ? logits : NULL);
    if (losses) fprintf(losses, "%.9g\n", loss);
  }
  if (losses) fclose(losses);
  if (st != 0) {
    fprintf(stderr, "%s\n", FN(_status_string)(st));
    return 1;
  }
  snprintf(path, sizeof path, "%s/logits_0.f32", argv[7]);
  write_file(path, logits, sizeof logits);
  snprintf(path, sizeof path, "%s/params/index.txt", argv[7]);
  losses = fopen(path, "w");
  for (i = 0; losses && i < FN(_param_count)(); ++i) {
    fprintf(losses, "%s %s\n", FN(_param_name)(i), FN(_param_layout)(i));
    snprintf(path, sizeof path, "%s/params/%s.f32", argv[7], FN(_param_name)(i));
    write_file(path, FN(_param_data)(m, i), (size_t)FN(_param_size)(i) * 4);
  }
  if (losses) fclose(losses);
  FN(_free)(m);
  free(ws);
  return 0;
}
