#include "runtime/data/Cifar.h"

#include "runtime/Error.h"
#include "runtime/FileIo.h"

namespace netc::runtime::data {
namespace {

constexpr size_t kPixels = 3 * 32 * 32;
constexpr size_t kRecord = 1 + kPixels;
constexpr int kClasses = 10;

void appendBatch(const std::string &path, std::vector<uint8_t> &pixels,
                 std::vector<int32_t> &labels) {
  std::vector<uint8_t> bytes = readFileBytes(path);
  if (bytes.empty() || bytes.size() % kRecord != 0)
    throw IoError(path + ": CIFAR-10 batch size " + std::to_string(bytes.size()) +
                  " is not a positive multiple of the 3073-byte record (truncated or not CIFAR-10)");
  for (size_t r = 0; r < bytes.size() / kRecord; ++r) {
    const uint8_t *rec = bytes.data() + r * kRecord;
    if (rec[0] >= kClasses)
      throw IoError(path + ": record " + std::to_string(r) + " has label " +
                    std::to_string(rec[0]) + " (CIFAR-10 labels are 0..9)");
    labels.push_back(rec[0]);
    pixels.insert(pixels.end(), rec + 1, rec + kRecord);
  }
}

} // namespace

std::shared_ptr<InMemoryDataset> loadCifar10Batches(const std::vector<std::string> &paths) {
  if (paths.empty())
    throw IoError("CIFAR-10: no batch files given");
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  for (const std::string &p : paths)
    appendBatch(p, pixels, labels);
  std::vector<std::string> classes = {"airplane", "automobile", "bird",  "cat",  "deer",
                                      "dog",      "frog",       "horse", "ship", "truck"};
  return std::make_shared<InMemoryDataset>(SampleShape{3, 32, 32}, std::move(pixels),
                                           std::move(labels), std::move(classes));
}

std::shared_ptr<InMemoryDataset> loadCifar10(const std::string &dir, bool train) {
  std::vector<std::string> paths;
  if (train) {
    for (int i = 1; i <= 5; ++i)
      paths.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
  } else {
    paths.push_back(dir + "/test_batch.bin");
  }
  return loadCifar10Batches(paths);
}

} // namespace netc::runtime::data
