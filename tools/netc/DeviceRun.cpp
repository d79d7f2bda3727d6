// `netc run --target T` for a GPU target (CUDA, OpenCL): the network is
// built as a library for T (runtime/aot, the same as `netc compile`), linked
// into a small C program and run in a child process on the given images.
//
// Why a child process: a GPU runtime may bring its own LLVM (pocl, the
// OpenCL device the tests use, brings LLVM 15), which cannot share a process
// with netc's LLVM 14; and a library is what a GPU machine runs anyway
// (docs/gpu.md). Built per call in a temporary directory, so the first
// image costs a compile (seconds), as a JIT's would.
#include "tools/netc/Commands.h"

#include "compiler/Compile.h"
#include "runtime/Npy.h"
#include "runtime/aot/AotLibrary.h"
#include "runtime/aot/AotTarget.h"
#include "runtime/aot/Toolchain.h"

#include "mlir/IR/MLIRContext.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace netc::cli {

namespace fs = std::filesystem;

namespace {

// The child: init, one forward of every image, the outputs and their shape.
// Exit 0, or 3 for "no usable GPU" (NETC_ERR_DEVICE), else 2; the reason on
// stderr.
const char *kRunner = R"C(#include <stdio.h>
#include <stdlib.h>
#include "netcrun.h"

int main(int argc, char **argv) {
  netcrun_model *m;
  FILE *f;
  float *x, *y;
  void *ws;
  int b, s;
  size_t nx, ny;
  if (argc != 6) return 2;
  b = atoi(argv[3]);
  nx = (size_t)b * NETCRUN_INPUT_C * NETCRUN_INPUT_H * NETCRUN_INPUT_W;
  ny = (size_t)b * NETCRUN_OUTPUT_ELEMENTS;
  x = (float *)malloc(nx * sizeof *x);
  y = (float *)malloc(ny * sizeof *y);
  if (!x || !y || posix_memalign(&ws, 64, netcrun_workspace_size() + 64) != 0) return 2;
  if (!(f = fopen(argv[2], "rb")) || fread(x, sizeof *x, nx, f) != nx) return 2;
  fclose(f);
  if ((s = netcrun_init(&m, argv[1])) != 0 || (s = netcrun_forward(m, x, y, b, ws)) != 0) {
    fprintf(stderr, "%s\n", netcrun_status_string(s));
    return s == NETC_ERR_DEVICE ? 3 : 2;
  }
  if (!(f = fopen(argv[4], "wb")) || fwrite(y, sizeof *y, ny, f) != ny || fclose(f) != 0) return 2;
  if (!(f = fopen(argv[5], "w"))) return 2;
  fprintf(f, "%d %d %d %d\n", NETCRUN_OUTPUT_RANK, NETCRUN_OUTPUT_C, NETCRUN_OUTPUT_H,
          NETCRUN_OUTPUT_W);
  netcrun_free(m);
  return fclose(f) != 0 ? 2 : 0;
}
)C";

}  // namespace

std::vector<float> runOnDevice(const RunArgs &a, const dsl::LoadedNetwork &n,
                               const runtime::NamedTensor &input,
                               const std::vector<runtime::NamedTensor> &params,
                               std::vector<int64_t> &outShape) {
  aot::LibraryOptions o;
  o.target = aot::parseTarget(a.target);
  aot::TempDir tmp(fs::temp_directory_path(), "netc-run");
  o.name = "netcrun";
  o.outDir = (tmp.path / "lib").string();
  o.origin = a.net.file;
  o.batch = static_cast<int>(input.shape[0]);
  mlir::MLIRContext ctx;
  auto m = compiler::compileNetwork(ctx, n.network, "fused");
  aot::LibraryResult lib = aot::buildLibrary(*m, params, o);
  const fs::path &t = tmp.path;
  aot::writeText(t / "runner.c", kRunner);
  aot::writeText(t / "x.f32", std::string(reinterpret_cast<const char *>(input.data.data()),
                                          input.data.size() * sizeof(float)));
  auto q = [](const fs::path &p) { return aot::quote(p.string()); };
  aot::runCompiler(aot::cCompiler(o.target) + " -std=c99 -O2 -I" + q(t / "lib") + " " +
                       q(t / "runner.c") + " " + q(lib.library) + " -lpthread -ldl -lm -o " +
                       q(t / "runner"),
                   t / "cc.log");
  std::string cmd = q(t / "runner") + " " + q(lib.weights) + " " + q(t / "x.f32") + " " +
                    std::to_string(o.batch) + " " + q(t / "y.f32") + " " + q(t / "shape.txt") +
                    " 2>" + q(t / "err.txt");
  int rc = std::system(cmd.c_str());
  int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  // The runtime's own lines, less its list of every driver symbol it missed.
  std::string why, line;
  std::istringstream err(aot::readFile(tmp.path / "err.txt"));
  while (std::getline(err, line))
    if (line.find("API not found") == std::string::npos)
      why += (why.empty() ? "" : "; ") + line;
  if (code == 3)
    throw std::runtime_error("--target " + a.target + ": no usable GPU here: " + why);
  if (code != 0)
    throw std::runtime_error("--target " + a.target + ": the library failed (exit " +
                             std::to_string(code) + "): " + why);
  int rank = 0, c = 0, h = 0, w = 0;
  std::istringstream(aot::readFile(tmp.path / "shape.txt")) >> rank >> c >> h >> w;
  outShape = rank == 2 ? std::vector<int64_t>{o.batch, c}
                       : std::vector<int64_t>{o.batch, c, h, w};
  std::vector<float> out(static_cast<size_t>(o.batch) * c * h * w);
  std::string y = aot::readFile(tmp.path / "y.f32");
  if (y.size() != out.size() * sizeof(float))
    throw std::runtime_error("--target " + a.target + ": the library wrote no outputs");
  std::memcpy(out.data(), y.data(), y.size());
  return out;
}

}  // namespace netc::cli
