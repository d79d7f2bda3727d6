// The tuning database: the schedule `netc tune` measured best for each
// distinct kernel, on one target with one thread count at one batch.
//
// One JSON file (human-readable; `netc tune --show` prints it), keyed by
// "<op>|<spec key>|<target>|threads=<n>|batch=<b>[|train]": section "conv"
// holds the forward convs, "conv_dx" and "conv_dw" their gradients. Kernel
// builders ask it first and fall back to the built-in schedules
// (schedules/cpu) on a miss, so a missing or empty database changes nothing. Location: $NETC_TUNING_DB,
// else tuning.json in the kernel cache directory (~/.cache/netc); none when
// NETC_CACHE is off and NETC_TUNING_DB is unset.
#pragma once

#include "schedules/cpu/ConvSchedule.h"

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace netc::schedules {

struct TunedConv {
  ConvSchedule schedule;
  double ms = 0, defaultMs = 0;  // measured median, tuned and built-in
};

/// A tuned schedule of another op (the conv gradients): its integer fields
/// by name, which the schedule's own code converts (schedules/cpu/backward),
/// so this file need not know every schedule type.
struct TunedRecord {
  std::map<std::string, int> fields;
  double ms = 0, defaultMs = 0;
};

class TuningDb {
 public:
  /// Reads `path` if it exists (an unreadable or malformed file throws
  /// std::runtime_error naming it); "" = an empty, unsaved database.
  explicit TuningDb(std::string path = "");
  const std::string &path() const { return path_; }

  std::optional<TunedConv> conv(const std::string &key) const;
  void setConv(const std::string &key, const TunedConv &t);
  /// `section` names the op kind, e.g. "conv_dx"; it is the JSON object the
  /// entry lives in.
  std::optional<TunedRecord> record(const std::string &section, const std::string &key) const;
  void setRecord(const std::string &section, const std::string &key, const TunedRecord &r);
  size_t size() const;
  /// Writes the file through a temporary and a rename.
  void save() const;
  std::string text() const;

  /// The key of a conv layer (its plain, unblocked spec) for `t`, `threads`
  /// and the batch it runs at: a schedule measured at batch 1 can lose badly
  /// at batch 8 (channel tiles outermost re-read 8 images per tile).
  /// "|<target>|threads=<n>|batch=<b>": how every key ends.
  static std::string keySuffix(const Halide::Target &t, int threads, int batch);
  /// The training step's convs (training) have their own keys: they run
  /// with HWIO weights, direct only.
  static std::string convKey(const netc::halide::ConvSpec &spec, const Halide::Target &t,
                             int threads, int batch, bool training = false);

  /// The database kernel builders consult (loaded on first use from
  /// defaultPath()); replace it with use(), e.g. `netc tune --db`.
  static TuningDb &global();
  static void use(const std::string &path);
  static std::string defaultPath();

 private:
  std::string path_;
  mutable std::mutex mu_;
  std::map<std::string, TunedConv> conv_;
  std::map<std::string, std::map<std::string, TunedRecord>> records_;  // by section
};

/// Threads the kernels will run with: HL_NUM_THREADS, else the core count.
int currentThreads();

/// The tuned schedule of `spec` on `t` with currentThreads() at `batch`, if any.
std::optional<ConvSchedule> tunedConvSchedule(const netc::halide::ConvSpec &spec,
                                              const Halide::Target &t, int batch,
                                              bool training = false);

}  // namespace netc::schedules
