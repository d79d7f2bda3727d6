#include "compiler/halide/AotKernel.h"

#include "compiler/halide/KernelFingerprint.h"  // generated: NETC_KERNEL_SOURCES_FINGERPRINT

#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cerrno>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

extern char **environ;

namespace netc::halide {

namespace fs = std::filesystem;

namespace {

constexpr const char *kFormat = "netc-kernel-cache 2";
constexpr char kMagic[8] = {'N', 'E', 'T', 'C', 'K', 'E', 'N', 'D'};

// ---- Halide runtime errors: one handler in every runtime we load ----------

thread_local std::string tlsLastError;

void netcHalideErrorHandler(void * /*user_context*/, const char *msg) {
  tlsLastError = msg ? msg : "";
}

using ArgvFn = int (*)(void **);
using SetErrorHandlerFn = void *(*)(void (*)(void *, const char *));

// Process-wide: which runtime keys have a loaded runtime (never unloaded).
std::mutex gRuntimeMu;
std::map<std::string, void *> gRuntimes;

void warnOnce(std::atomic<bool> &flag, const std::string &msg) {
  if (!flag.exchange(true)) std::fprintf(stderr, "netc: %s\n", msg.c_str());
}
std::atomic<bool> gWarnedNoCompiler{false}, gWarnedLink{false}, gWarnedDir{false};
std::atomic<bool> gToolchainBroken{false};

using Clock = std::chrono::steady_clock;
std::string ms(Clock::time_point a, Clock::time_point b) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count());
}

// NETC_CACHE_VERBOSE=1: one line per build or rejection on stderr.
void verbose(const std::string &msg) {
  static const bool on = [] {
    const char *v = std::getenv("NETC_CACHE_VERBOSE");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  if (on) std::fprintf(stderr, "netc: %s\n", msg.c_str());
}

std::string hex64(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string hashOf(const std::string &s) { return hex64(fnv1a64(s.data(), s.size())); }

// A readable file-name prefix: the op name up to the first '|'.
std::string opPrefix(const std::string &key) {
  std::string p;
  for (char c : key.substr(0, key.find('|')))
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') p += c;
  return p.empty() ? "k" : p.substr(0, 24);
}

std::string functionName(const std::string &stamp, const std::string &key) {
  return "netc_" + hashOf(stamp + "\n" + key);
}

struct Trailer {
  std::string format, stamp, key, function;
  size_t inputs = 0, imageBytes = 0;
  std::string imageHash;
};

std::string trailerText(const Trailer &t) {
  std::ostringstream o;
  o << t.format << "\nstamp " << t.stamp << "\nkey " << t.key << "\nfunction " << t.function
    << "\ninputs " << t.inputs << "\nimage " << t.imageBytes << " " << t.imageHash << "\n";
  return o.str();
}

bool readFile(const std::string &path, std::string &out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return static_cast<bool>(f) || f.eof();
}

// Parses and checks the trailer of `bytes`; "" when valid, else why not.
std::string checkFile(const std::string &bytes, const Trailer &want) {
  if (bytes.size() < 16 || std::memcmp(bytes.data() + bytes.size() - 8, kMagic, 8) != 0)
    return "no netc trailer";
  uint64_t len = 0;
  std::memcpy(&len, bytes.data() + bytes.size() - 16, 8);
  if (len > bytes.size() - 16) return "bad trailer length";
  size_t image = bytes.size() - 16 - len;
  std::istringstream in(bytes.substr(image, len));
  Trailer t;
  std::string line;
  std::getline(in, t.format);
  while (std::getline(in, line)) {
    size_t sp = line.find(' ');
    std::string k = line.substr(0, sp), v = sp == std::string::npos ? "" : line.substr(sp + 1);
    if (k == "stamp") t.stamp = v;
    else if (k == "key") t.key = v;
    else if (k == "function") t.function = v;
    else if (k == "inputs") t.inputs = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "image") {
      std::istringstream iv(v);
      iv >> t.imageBytes >> t.imageHash;
    }
  }
  if (t.format != kFormat) return "format '" + t.format + "'";
  if (t.stamp != want.stamp) return "stamp mismatch (another netc build)";
  if (t.key != want.key) return "key mismatch";
  if (t.function != want.function) return "function mismatch";
  if (t.imageBytes != image) return "image size mismatch";
  if (t.imageHash != hex64(fnv1a64(bytes.data(), image))) return "image checksum mismatch";
  return "";
}

std::string uniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         hex64(fnv1a64(&counter, sizeof counter, static_cast<uint64_t>(std::rand()) ^
                                                  static_cast<uint64_t>(::time(nullptr))))
             .substr(0, 8);
}

// ---- the system compiler -------------------------------------------------

std::string findOnPath(const std::string &name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char *path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (!dir.empty()) {
      std::string cand = dir + "/" + name;
      if (::access(cand.c_str(), X_OK) == 0) return cand;
    }
    start = end + 1;
  }
  return "";
}

// $NETC_CXX, else the first of cc, c++, gcc, g++, clang, clang++ on PATH (the C
// driver starts fastest; it only links here).
const std::string &linker() {
  static const std::string cxx = [] {
    if (const char *e = std::getenv("NETC_CXX"); e && *e) return findOnPath(e);
    for (const char *n : {"cc", "c++", "gcc", "g++", "clang", "clang++"})
      if (std::string f = findOnPath(n); !f.empty()) return f;
    return std::string();
  }();
  return cxx;
}

// Runs argv without a shell; stdout+stderr go to `log`. True on exit status 0.
bool runTool(const std::vector<std::string> &argv, const std::string &log) {
  std::vector<char *> a;
  for (const std::string &s : argv) a.push_back(const_cast<char *>(s.c_str()));
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Links `objects` into a shared object at `out`; false (and a message) on failure.
bool linkShared(const std::vector<std::string> &objects, const std::string &out,
                const std::vector<std::string> &libs, std::string &err) {
  if (linker().empty()) {
    err = "no C/C++ compiler found (set NETC_CXX)";
    return false;
  }
  std::vector<std::string> argv = {linker(), "-shared", "-o", out};
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.insert(argv.end(), libs.begin(), libs.end());
  std::string log = out + ".log";
  bool ok = runTool(argv, log);
  if (!ok) {
    std::string text;
    readFile(log, text);
    err = "'" + linker() + " -shared' failed: " + text.substr(0, 800);
  }
  std::remove(log.c_str());
  return ok;
}

// Appends the trailer to the image at `tmp` and renames it to `path`.
bool sealAndPublish(const std::string &tmp, const std::string &path, Trailer t, std::string &err) {
  std::string image;
  if (!readFile(tmp, image)) {
    err = "cannot read " + tmp;
    return false;
  }
  t.imageBytes = image.size();
  t.imageHash = hex64(fnv1a64(image.data(), image.size()));
  std::string text = trailerText(t);
  uint64_t len = text.size();
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::app);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.write(reinterpret_cast<const char *>(&len), 8);
    f.write(kMagic, 8);
    f.flush();
    if (!f) {
      err = "cannot write " + tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    err = "cannot rename into " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

// ---- loaded kernels ---------------------------------------------------------

class AotKernel final : public Kernel {
 public:
  AotKernel(std::string key, size_t numInputs, Halide::Target t, void *lib, ArgvFn fn)
      : Kernel(std::move(key), numInputs, std::move(t)), lib_(lib), fn_(fn) {}
  // The library stays loaded for the process: kernels are few and small, and
  // unloading code a Halide thread might still name is not worth the risk.
  void run(halide_buffer_t *const *args) override {
    int r = fn_(reinterpret_cast<void **>(const_cast<halide_buffer_t **>(args)));
    if (r != 0) {
      std::string msg = tlsLastError.empty() ? "error code " + std::to_string(r) : tlsLastError;
      tlsLastError.clear();
      throw Halide::RuntimeError("kernel '" + key() + "': " + msg);
    }
  }
  using Kernel::run;
  Origin origin() const override { return Origin::Aot; }

 private:
  void *lib_;
  ArgvFn fn_;
};

// Checks the Halide metadata of a loaded kernel against what we call it with.
std::string checkMetadata(void *lib, const std::string &fn, size_t inputs) {
  using MetaFn = const halide_filter_metadata_t *(*)();
  auto meta = reinterpret_cast<MetaFn>(::dlsym(lib, (fn + "_metadata").c_str()));
  if (!meta) return "no " + fn + "_metadata";
  const halide_filter_metadata_t *m = meta();
  if (!m || m->num_arguments != static_cast<int>(inputs + 1)) return "argument count mismatch";
  for (int i = 0; i < m->num_arguments; ++i) {
    const halide_filter_argument_t &a = m->arguments[i];
    bool out = i == m->num_arguments - 1;
    if (a.kind != (out ? halide_argument_kind_output_buffer : halide_argument_kind_input_buffer))
      return "argument " + std::to_string(i) + " is not an " + (out ? "output" : "input") + " buffer";
    if (a.type.code != halide_type_float || a.type.bits != 32)
      return "argument " + std::to_string(i) + " is not float32";
  }
  return "";
}

}  // namespace

uint64_t fnv1a64(const void *data, size_t n, uint64_t h) {
  const auto *p = static_cast<const unsigned char *>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

Halide::Target runtimeTarget(const Halide::Target &t) {
  Halide::Target r(t.os, t.arch, t.bits);
  using F = Halide::Target::Feature;
  for (F f : {F::Debug, F::CUDA, F::OpenCL, F::Metal, F::D3D12Compute, F::OpenGLCompute,
              F::Profile, F::TracePipeline, F::TraceLoads, F::TraceStores, F::TraceRealizations,
              F::MSAN, F::ASAN, F::TSAN})
    if (t.has_feature(f)) r = r.with_feature(f);
  return r;
}

std::string DiskCache::stamp() {
  std::string s = "netc " NETC_VERSION " src " NETC_KERNEL_SOURCES_FINGERPRINT;
#ifdef HALIDE_VERSION_MAJOR
  s += " halide " + std::to_string(HALIDE_VERSION_MAJOR) + "." +
       std::to_string(HALIDE_VERSION_MINOR) + "." + std::to_string(HALIDE_VERSION_PATCH);
#endif
  return s;
}

DiskCache::DiskCache(std::string dir) : dir_(std::move(dir)) {}

std::string DiskCache::libraryPath(const std::string &key) const {
  return dir_ + "/" + opPrefix(key) + "-" + hashOf(stamp() + "\n" + key) + ".so";
}

std::string DiskCache::runtimePath(const Halide::Target &t) const {
  return libraryPath("runtime|" + runtimeTarget(t).to_string());
}

bool DiskCache::ensureRuntime(const Halide::Target &t, bool mayBuild) {
  Halide::Target rt = runtimeTarget(t);
  std::string rkey = "runtime|" + rt.to_string();
  std::lock_guard<std::mutex> lock(mu_);
  std::string path = libraryPath(rkey);
  Trailer want{kFormat, stamp(), rkey, "halide_runtime", 0, 0, ""};
  if (!runtimesReady_.count(rkey)) {
    std::string bytes, why = "missing";
    if (readFile(path, bytes)) why = checkFile(bytes, want);
    if (!why.empty()) {
      if (!mayBuild) return false;
      if (gToolchainBroken) return false;
      std::error_code ec;
      fs::create_directories(dir_, ec);
      std::string tmp = path + ".tmp-" + uniqueSuffix();
      std::string obj = tmp + ".o", err;
      Clock::time_point t0 = Clock::now();
      Halide::compile_standalone_runtime(obj, rt);
      Clock::time_point t1 = Clock::now();
      bool ok = linkShared({obj}, tmp, {"-lpthread", "-ldl"}, err) &&
                sealAndPublish(tmp, path, want, err);
      verbose("built runtime " + path + ": compile " + ms(t0, t1) + " ms, link " +
              ms(t1, Clock::now()) + " ms");
      std::remove(obj.c_str());
      if (!ok) {
        std::remove(tmp.c_str());
        gToolchainBroken = true;
        warnOnce(gWarnedLink, "kernel disk cache unusable (" + err + "); JIT-compiling kernels");
        return false;
      }
    }
    runtimesReady_.insert(rkey);
  }
  std::lock_guard<std::mutex> glock(gRuntimeMu);
  if (gRuntimes.count(rkey)) return true;
  // Global, so kernels' undefined halide_* symbols bind to it; never closed.
  void *h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    runtimesReady_.erase(rkey);
    return false;
  }
  if (auto set = reinterpret_cast<SetErrorHandlerFn>(::dlsym(h, "halide_set_error_handler")))
    set(&netcHalideErrorHandler);
  gRuntimes[rkey] = h;
  return true;
}

std::shared_ptr<Kernel> DiskCache::load(const std::string &key, const Halide::Target &t,
                                        bool *rejected) {
  *rejected = false;
  std::string path = libraryPath(key), bytes;
  if (!readFile(path, bytes)) return nullptr;  // a plain miss
  std::string st = stamp();
  Trailer want{kFormat, st, key, functionName(st, key), 0, 0, ""};
  std::string why = checkFile(bytes, want);
  size_t inputs = 0;
  if (why.empty()) {
    size_t at = bytes.rfind("\ninputs ");
    inputs = std::strtoull(bytes.c_str() + at + 8, nullptr, 10);
    if (!ensureRuntime(t, /*mayBuild=*/true)) why = "no Halide runtime";
  }
  void *lib = nullptr;
  ArgvFn fn = nullptr;
  if (why.empty()) {
    lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char *e = ::dlerror();
      why = std::string("dlopen: ") + (e ? e : "failed");
    }
  }
  if (why.empty()) why = checkMetadata(lib, want.function, inputs);
  if (why.empty()) {
    fn = reinterpret_cast<ArgvFn>(::dlsym(lib, (want.function + "_argv").c_str()));
    if (!fn) why = "no " + want.function + "_argv";
  }
  if (!why.empty()) {
    if (lib) ::dlclose(lib);
    *rejected = true;
    verbose("rejected cached kernel " + path + ": " + why);
    return nullptr;
  }
  return std::make_shared<AotKernel>(key, inputs, t, lib, fn);
}

std::shared_ptr<Kernel> DiskCache::build(const std::string &key, const PipelineDef &def,
                                         const Halide::Target &t) {
  if (gToolchainBroken) return nullptr;
  if (linker().empty()) {
    warnOnce(gWarnedNoCompiler,
             "no C/C++ compiler found for the kernel disk cache (set NETC_CXX); JIT-compiling "
             "kernels, nothing is cached on disk");
    gToolchainBroken = true;
    return nullptr;
  }
  if (key.find('\n') != std::string::npos) return nullptr;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || ::access(dir_.c_str(), W_OK) != 0) {
    warnOnce(gWarnedDir, "cannot write the kernel cache directory " + dir_ +
                             "; JIT-compiling kernels");
    return nullptr;
  }
  if (!ensureRuntime(t, /*mayBuild=*/true)) return nullptr;
  std::string st = stamp(), fn = functionName(st, key), path = libraryPath(key);
  std::string tmp = path + ".tmp-" + uniqueSuffix(), obj = tmp + ".o", err;
  std::vector<Halide::Argument> args(def.inputs.begin(), def.inputs.end());
  Halide::Pipeline p(def.out);
  Clock::time_point t0 = Clock::now();
  try {
    p.compile_to({{Halide::OutputFileType::object, obj}}, args, fn,
                 t.with_feature(Halide::Target::NoRuntime));
  } catch (...) {
    std::remove(obj.c_str());
    throw;
  }
  Trailer tr{kFormat, st, key, fn, def.inputs.size(), 0, ""};
  Clock::time_point t1 = Clock::now();
  bool ok = linkShared({obj}, tmp, {}, err) && sealAndPublish(tmp, path, tr, err);
  verbose("built " + path + " (" + key + "): compile " + ms(t0, t1) + " ms, link " +
          ms(t1, Clock::now()) + " ms");
  std::remove(obj.c_str());
  if (!ok) {
    std::remove(tmp.c_str());
    gToolchainBroken = true;
    warnOnce(gWarnedLink, "kernel disk cache unusable (" + err + "); JIT-compiling kernels");
    return nullptr;
  }
  bool rejected = false;
  return load(key, t, &rejected);
}

}  // namespace netc::halide
