#include "runtime/aot/Toolchain.h"
#include "compiler/halide/HostTarget.h"

#include "runtime/aot/AotTarget.h"
#include "runtime/aot/WeightsBlob.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace netc::aot {

namespace fs = std::filesystem;

std::string readFile(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void writeText(const fs::path &p, const std::string &text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f.flush())
    throw std::runtime_error("cannot write '" + p.string() + "'");
}

bool onPath(const std::string &exe) {
  if (exe.find('/') != std::string::npos)
    return fs::exists(exe);
  const char *path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string d; std::getline(dirs, d, ':');)
    if (!d.empty() && fs::exists(fs::path(d) / exe))
      return true;
  return false;
}

// $NETC_CC, else clang-14 (any target), else cc (x86-64 only).
std::string cCompiler(const Halide::Target &t) {
  if (const char *cc = std::getenv("NETC_CC"); cc && *cc)
    return cc;
  if (onPath("clang-14"))
    return "clang-14";
  if (t.arch == Halide::Target::X86 && onPath("cc"))
    return "cc";
  throw std::runtime_error("no C compiler for target " + t.to_string() +
                           ": install clang-14 (tools/setup.sh does) or set NETC_CC");
}

std::string quote(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

void runCompiler(const std::string &cmd, const fs::path &log) {
  int rc = std::system((cmd + " > " + quote(log.string()) + " 2>&1").c_str());
  if (rc != 0)
    throw std::runtime_error("the C compiler failed (" + cmd + "):\n" + readFile(log));
}

// The C compiler's flags for the driver and the weights object.
std::string cFlags(const Halide::Target &t, const std::string &cc) {
  std::string f = " -c -O2 -fPIC -std=c99 -ffreestanding -Wall -Wextra";
  if (cc.find("clang") != std::string::npos)
    f += " --target=" + cTriple(t);
  if (const char *w = std::getenv("NETC_AOT_WERROR"); w && *w == '1')
    f += " -Werror";
  return f;
}

// On the build machine's architecture the driver is also compiled against
// Halide's own runtime headers, so a drifted declaration cannot pass.
void checkGpuWorkspace(const Halide::Target &t, int64_t bytes, int batch) {
  if (!t.has_gpu_feature() || bytes / 4 <= std::numeric_limits<int32_t>::max()) return;
  std::ostringstream msg;
  msg << "the workspace needs " << std::fixed << std::setprecision(1) << bytes / 1073741824.0
      << " GiB at batch " << batch
      << "; a GPU library addresses at most 8 GiB (32-bit offsets in Halide buffers): "
         "lower --batch";
  throw std::runtime_error(msg.str());
}

std::string halideHeaderCheck(const Halide::Target &t) {
#ifdef NETC_HALIDE_INCLUDE_DIR
  Halide::Target host = netc::halide::hostTarget();
  if (t.arch != host.arch || t.bits != host.bits || !fs::exists(NETC_HALIDE_INCLUDE_DIR))
    return "";
  std::string inc = std::string(" -I") + quote(NETC_HALIDE_INCLUDE_DIR) + " -include HalideRuntime.h";
  if (t.has_feature(Halide::Target::CUDA))
    inc += " -include HalideRuntimeCuda.h";
  if (t.has_feature(Halide::Target::OpenCL))
    inc += " -include HalideRuntimeOpenCL.h";
  return inc;
#else
  (void)t;
  return "";
#endif
}

std::string weightsAssembly(const std::string &name, const fs::path &blob) {
  std::ostringstream s;
  s << "  .section .rodata." << name << "_weights,\"a\"\n"
    << "  .balign 64\n"
    << "  .globl " << name << "_weights_file\n"
    << "  .hidden " << name << "_weights_file\n"
    << name << "_weights_file:\n"
    << "  .incbin \"" << blob.string() << "\"\n"
    << "  .section .note.GNU-stack,\"\",%progbits\n";
  return s.str();
}

TempDir::TempDir(const fs::path &parent, const std::string &name) {
  std::string tmpl = (parent / ("." + name + ".build-XXXXXX")).string();
  if (!::mkdtemp(tmpl.data()))
    throw std::runtime_error("cannot create a directory in '" + parent.string() + "'");
  path = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

void moveInto(const fs::path &from, const fs::path &to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec)
    throw std::runtime_error("cannot write '" + to.string() + "': " + ec.message());
}


std::vector<std::string> compileKernelObjects(const std::vector<Halide::Pipeline> &pipelines,
                                              const std::vector<std::vector<Halide::Argument>> &args,
                                              const std::vector<std::string> &names,
                                              const Halide::Target &t, const fs::path &dir) {
  std::vector<std::string> objects;
  Halide::Target kt = t.with_feature(Halide::Target::NoRuntime);
  for (size_t k = 0; k < pipelines.size(); ++k) {
    std::string obj = (dir / (names[k] + ".o")).string();
    Halide::Pipeline p = pipelines[k];
    p.compile_to({{Halide::OutputFileType::object, obj}}, args[k], names[k], kt);
    objects.push_back(obj);
  }
  std::string rt = (dir / "halide_runtime.o").string();
  Halide::compile_standalone_runtime(rt, t.without_feature(Halide::Target::NoRuntime));
  objects.push_back(rt);
  return objects;
}

LibraryResult packageLibrary(const LibraryOptions &o, const std::vector<Halide::Pipeline> &pipelines,
                             const std::vector<std::vector<Halide::Argument>> &args,
                             const std::vector<std::string> &kernelNames,
                             const std::string &header, const std::string &driver,
                             const std::vector<char> &blob) {
  fs::path out(o.outDir);
  std::error_code made;
  fs::create_directories(out, made);
  if (made)
    throw std::runtime_error("cannot create the output directory '" + o.outDir +
                             "': " + made.message());
  TempDir tmp(out, o.name);
  std::vector<std::string> objects =
      compileKernelObjects(pipelines, args, kernelNames, o.target, tmp.path);
  writeText(tmp.path / (o.name + ".h"), header);
  writeText(tmp.path / (o.name + ".c"), driver);
  fs::path blobPath = tmp.path / (o.name + ".weights");
  writeText(blobPath, std::string(blob.begin(), blob.end()));
  std::string cc = cCompiler(o.target);
  std::string driverObj = (tmp.path / (o.name + "_driver.o")).string();
  runCompiler(cc + cFlags(o.target, cc) + halideHeaderCheck(o.target) + " -I" +
                  quote(tmp.path.string()) + " " + quote((tmp.path / (o.name + ".c")).string()) +
                  " -o " + quote(driverObj),
              tmp.path / "cc.log");
  objects.push_back(driverObj);
  if (o.embedWeights) {
    if (cc.find("clang") == std::string::npos && o.target.arch != Halide::Target::X86)
      throw std::runtime_error("--embed-weights for " + o.target.to_string() + " needs clang");
    fs::path s = tmp.path / (o.name + "_weights.S");
    writeText(s, weightsAssembly(o.name, blobPath));
    std::string wobj = (tmp.path / (o.name + "_weights.o")).string();
    runCompiler(cc + cFlags(o.target, cc) + " " + quote(s.string()) + " -o " + quote(wobj),
                tmp.path / "as.log");
    objects.push_back(wobj);
  }
  fs::path lib = tmp.path / (o.name + ".a");
  Halide::create_static_library(objects, o.target, lib.string());

  LibraryResult r;
  r.library = (out / (o.name + ".a")).string();
  r.header = (out / (o.name + ".h")).string();
  r.libraryBytes = static_cast<int64_t>(fs::file_size(lib));
  r.weightBytes = static_cast<int64_t>(blob.size());
  r.kernels = kernelNames.size();
  moveInto(lib, r.library);
  moveInto(tmp.path / (o.name + ".h"), r.header);
  std::error_code ec;
  if (!o.embedWeights) {
    r.weights = (out / (o.name + ".weights")).string();
    moveInto(blobPath, r.weights);
  } else {
    fs::remove(out / (o.name + ".weights"), ec);  // a stale file would not match
  }
  return r;
}

}  // namespace netc::aot
