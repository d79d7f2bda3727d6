// Linked with only `pkg-config --cflags --libs netc`: writes a tensor with
// the installed runtime library and reads it back.
#include "runtime/Npy.h"
#include "runtime/WeightsFile.h"

#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  const float data[6] = {1, 2, 3, 4, 5, 6};
  netc::runtime::writeNpy(argv[1], {2, 3}, data);
  netc::runtime::NamedTensor t = netc::runtime::readNpy(argv[1]);
  if (t.shape.size() != 2 || t.shape[0] != 2 || t.shape[1] != 3 || t.data.size() != 6 || t.data[5] != 6.0f) {
    std::fprintf(stderr, "round trip through %s failed\n", argv[1]);
    return 1;
  }
  std::printf("pkg-config runtime OK\n");
  return 0;
}
