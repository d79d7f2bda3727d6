#include "runtime/WeightsFile.h"

#include "runtime/Error.h"
#include "runtime/FileIo.h"
#include "runtime/weights_generated.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace netc::runtime {
namespace {

using Builder = flatbuffers::FlatBufferBuilder;
using TensorList = flatbuffers::Vector<flatbuffers::Offset<fb::Tensor>>;

// flatbuffers 2.0 supports at most 32 (FLATBUFFERS_MAX_ALIGNMENT): one AVX2
// vector, and enough that aligned loads of 8 floats never split a line.
constexpr size_t kDataAlign = 32;
constexpr size_t kMaxFileSize = FLATBUFFERS_MAX_BUFFER_SIZE;

flatbuffers::Offset<fb::Tensor> encodeTensor(Builder &b, const NamedTensor &t) {
  std::string what = "tensor '" + t.name + "'";
  uint64_t n = elementCount(t.shape, what);
  if (t.data.size() != n)
    throw IoError(what + " has " + std::to_string(t.data.size()) + " elements but shape " +
                  shapeString(t.shape));
  // flatbuffers builds back to front: children before the table.
  b.ForceVectorAlignment(n, sizeof(float), kDataAlign);
  auto data = b.CreateVector(t.data);
  auto shape = b.CreateVector(t.shape);
  auto name = b.CreateString(t.name);
  return fb::CreateTensor(b, name, shape, fb::DType_F32, data);
}

flatbuffers::Offset<TensorList> encodeTensors(Builder &b, const std::vector<NamedTensor> &ts) {
  std::set<std::string> seen;
  std::vector<flatbuffers::Offset<fb::Tensor>> offsets;
  for (const NamedTensor &t : ts) {
    if (!seen.insert(t.name).second)
      throw IoError("tensor name '" + t.name + "' occurs twice");
    offsets.push_back(encodeTensor(b, t));
  }
  return b.CreateVector(offsets);
}

flatbuffers::Offset<fb::TrainingState> encodeTraining(Builder &b, const TrainingState &s) {
  auto momentum = encodeTensors(b, s.momentum);
  auto rng = b.CreateVector(s.rngState);
  auto optimizer = b.CreateString(s.optimizer);
  return fb::CreateTrainingState(b, optimizer, momentum, s.step, rng, s.dataPosition);
}

/// flatbuffers cannot exceed 2 GiB and only asserts on it; check up front.
void checkEncodedSize(const WeightsFile &w) {
  uint64_t bytes = w.networkText.size() + w.networkName.size();
  auto add = [&](const std::vector<NamedTensor> &ts) {
    for (const NamedTensor &t : ts)
      bytes += t.data.size() * sizeof(float) + t.shape.size() * 8 + t.name.size() + 2 * kDataAlign;
  };
  add(w.tensors);
  if (w.training) {
    add(w.training->momentum);
    bytes += w.training->rngState.size();
  }
  if (bytes + (1u << 20) > kMaxFileSize)
    throw IoError("weights of network '" + w.networkName + "' are too large (" +
                  std::to_string(bytes >> 20) + " MiB) for a .nw file (limit 2 GiB)");
}

NamedTensor decodeTensor(const fb::Tensor &t, const std::string &what) {
  NamedTensor out;
  out.name = t.name()->str();
  std::string where = what + ": tensor '" + out.name + "'";
  if (t.dtype() != fb::DType_F32)
    throw IoError(where + " has unsupported dtype " + std::to_string(int(t.dtype())));
  if (t.shape())
    out.shape.assign(t.shape()->begin(), t.shape()->end());
  uint64_t n = elementCount(out.shape, where);
  size_t stored = t.data() ? t.data()->size() : 0;
  if (stored != n)
    throw IoError(where + " has " + std::to_string(stored) + " values but shape " +
                  shapeString(out.shape) + " needs " + std::to_string(n));
  out.data.resize(n);
  if (n) // memcpy: the bytes are little-endian floats, as on this host
    std::memcpy(out.data.data(), t.data()->Data(), n * sizeof(float));
  return out;
}

std::vector<NamedTensor> decodeTensors(const TensorList *list, const std::string &what) {
  std::vector<NamedTensor> out;
  if (!list)
    return out;
  std::set<std::string> seen;
  for (const fb::Tensor *t : *list) {
    out.push_back(decodeTensor(*t, what));
    if (!seen.insert(out.back().name).second)
      throw IoError(what + ": tensor name '" + out.back().name + "' occurs twice");
  }
  return out;
}

TrainingState decodeTraining(const fb::TrainingState &s, const std::string &what) {
  TrainingState out;
  if (s.optimizer())
    out.optimizer = s.optimizer()->str();
  out.momentum = decodeTensors(s.momentum(), what + " (momentum)");
  out.step = s.step();
  if (s.rng_state())
    out.rngState.assign(s.rng_state()->begin(), s.rng_state()->end());
  out.dataPosition = s.data_position();
  return out;
}

/// "line N: `saved`" vs "`current`" for the first line where the texts differ.
std::string firstDifference(const std::string &saved, const std::string &current) {
  size_t i = 0;
  while (i < saved.size() && i < current.size() && saved[i] == current[i])
    ++i;
  size_t lineStart = saved.rfind('\n', i == 0 ? 0 : i - 1);
  lineStart = lineStart == std::string::npos || i == 0 ? 0 : lineStart + 1;
  auto lineAt = [&](const std::string &s) {
    size_t end = s.find('\n', lineStart);
    return lineStart >= s.size() ? std::string("<end of text>")
                                 : "`" + s.substr(lineStart, end - lineStart) + "`";
  };
  size_t line = 1 + size_t(std::count(saved.begin(), saved.begin() + lineStart, '\n'));
  return "line " + std::to_string(line) + ": saved " + lineAt(saved) + ", current " +
         lineAt(current);
}

} // namespace

const NamedTensor *WeightsFile::find(const std::string &name) const {
  for (const NamedTensor &t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

std::vector<uint8_t> encodeWeights(const WeightsFile &w) {
  checkEncodedSize(w);
  Builder b(1 << 16);
  auto tensors = encodeTensors(b, w.tensors);
  auto training = w.training ? encodeTraining(b, *w.training) : 0;
  auto text = b.CreateString(w.networkText);
  auto name = b.CreateString(w.networkName);
  b.Finish(fb::CreateWeights(b, kWeightsSchemaVersion, name, text, tensors, training),
           fb::WeightsIdentifier());
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

WeightsFile decodeWeights(const uint8_t *bytes, size_t size, const std::string &what) {
  if (size < 8 || !fb::WeightsBufferHasIdentifier(bytes))
    throw IoError(what + ": not a netc weights file (no \"NETW\" identifier)");
  if (size >= kMaxFileSize)
    throw IoError(what + ": file is larger than the 2 GiB a weights file can hold");
  flatbuffers::Verifier verifier(bytes, size);
  if (!fb::VerifyWeightsBuffer(verifier))
    throw IoError(what + ": corrupt or truncated weights file (structure check failed)");
  const fb::Weights *root = fb::GetWeights(bytes);
  uint32_t version = root->schema_version();
  if (version == 0 || version > kWeightsSchemaVersion)
    throw IoError(what + ": weights schema version " + std::to_string(version) +
                  " is not supported (this netc reads versions 1 to " +
                  std::to_string(kWeightsSchemaVersion) + ")");
  WeightsFile w;
  w.networkName = root->network_name()->str();
  w.networkText = root->network_text()->str();
  w.tensors = decodeTensors(root->tensors(), what);
  if (root->training())
    w.training = decodeTraining(*root->training(), what);
  return w;
}

void saveWeights(const std::string &path, const WeightsFile &w) {
  std::vector<uint8_t> bytes;
  try {
    bytes = encodeWeights(w);
  } catch (const IoError &e) {
    throw IoError("cannot save '" + path + "': " + e.what());
  }
  writeFileAtomically(path, bytes.data(), bytes.size());
}

WeightsFile loadWeights(const std::string &path) {
  std::vector<unsigned char> bytes = readFileBytes(path);
  return decodeWeights(bytes.data(), bytes.size(), "'" + path + "'");
}

void checkNetwork(const WeightsFile &w, const std::string &expectedName,
                  const std::string &expectedText, const std::string &path) {
  if (w.networkName == expectedName && w.networkText == expectedText)
    return;
  std::string msg = "weights in '" + path + "' were saved for network '" + w.networkName + "'";
  if (w.networkName != expectedName)
    throw IoError(msg + ", not for network '" + expectedName + "'");
  throw IoError(msg + " with a different definition than the current one (first difference at " +
                firstDifference(w.networkText, expectedText) + ")");
}

WeightsFile loadWeightsFor(const std::string &path, const std::string &expectedName,
                           const std::string &expectedText) {
  WeightsFile w = loadWeights(path);
  checkNetwork(w, expectedName, expectedText, path);
  return w;
}

} // namespace netc::runtime
