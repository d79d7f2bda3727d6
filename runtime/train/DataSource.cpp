#include "runtime/train/DataSource.h"

#include "runtime/Error.h"
#include "runtime/data/Cifar.h"
#include "runtime/data/Idx.h"
#include "runtime/data/ImageFolder.h"

#include <filesystem>
#include <stdexcept>

namespace netc::runtime::train {

namespace fs = std::filesystem;

namespace {

// "DIR/base.gz" if present, else "DIR/base": Debian ships them gzipped,
// a hand-extracted copy may not be.
std::string idxFile(const std::string &dir, const std::string &base) {
  for (const std::string &name : {base + ".gz", base})
    if (fs::exists(fs::path(dir) / name))
      return (fs::path(dir) / name).string();
  throw IoError("no '" + base + "' (or .gz) in '" + dir +
                "'; for the default data install Debian's dataset-fashion-mnist");
}

std::shared_ptr<const data::Dataset> idxSplit(const std::string &dir, const std::string &prefix) {
  return data::loadIdxDataset(idxFile(dir, prefix + "-images-idx3-ubyte"),
                              idxFile(dir, prefix + "-labels-idx1-ubyte"));
}

std::string afterColon(const std::string &spec, size_t prefixLen) {
  std::string dir = spec.substr(prefixLen);
  if (dir.empty())
    throw std::invalid_argument("data source '" + spec + "' needs a directory after ':'");
  return dir;
}

bool startsWith(const std::string &s, const std::string &p) { return s.rfind(p, 0) == 0; }

// A view of the first n samples of another dataset.
class Prefix : public data::Dataset {
public:
  Prefix(std::shared_ptr<const data::Dataset> ds, size_t n) : ds_(std::move(ds)), n_(n) {}
  size_t size() const override { return n_; }
  const std::vector<std::string> &classes() const override { return ds_->classes(); }
  int64_t channels() const override { return ds_->channels(); }
  std::optional<data::SampleShape> shape() const override { return ds_->shape(); }
  void get(size_t i, data::Sample &out) const override { ds_->get(i, out); }

private:
  std::shared_ptr<const data::Dataset> ds_;
  size_t n_;
};

} // namespace

DataSplits openDataSource(const std::string &spec, bool withTrain) {
  DataSplits s;
  if (spec == "fashion-mnist" || startsWith(spec, "fashion-mnist:")) {
    std::string dir = spec == "fashion-mnist" ? kFashionMnistDir : afterColon(spec, 14);
    if (withTrain)
      s.train = idxSplit(dir, "train");
    s.test = idxSplit(dir, "t10k");
  } else if (startsWith(spec, "cifar10:")) {
    std::string dir = afterColon(spec, 8);
    if (withTrain)
      s.train = data::loadCifar10(dir, true);
    s.test = data::loadCifar10(dir, false);
  } else if (startsWith(spec, "folder:")) {
    fs::path dir = afterColon(spec, 7);
    if (withTrain)
      s.train = std::make_shared<data::ImageFolderDataset>((dir / "train").string());
    s.test = std::make_shared<data::ImageFolderDataset>((dir / "val").string());
  } else {
    throw std::invalid_argument("unknown data source '" + spec +
                                "'; expected fashion-mnist, cifar10:DIR or folder:DIR");
  }
  return s;
}

std::shared_ptr<const data::Dataset> firstSamples(std::shared_ptr<const data::Dataset> ds,
                                                  size_t limit) {
  if (limit == 0 || limit >= ds->size())
    return ds;
  return std::make_shared<Prefix>(std::move(ds), limit);
}

} // namespace netc::runtime::train
