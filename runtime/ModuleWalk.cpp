#include "runtime/ModuleWalk.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <stdexcept>

namespace netc::runtime {

std::vector<int64_t> intsAttr(mlir::Operation *op, const char *name) {
  std::vector<int64_t> v;
  for (mlir::Attribute a : op->getAttrOfType<mlir::ArrayAttr>(name))
    v.push_back(a.cast<mlir::IntegerAttr>().getInt());
  return v;
}

double realAttr(mlir::Operation *op, const char *name) {
  return op->getAttrOfType<mlir::FloatAttr>(name).getValueAsDouble();
}

int64_t intAttr(mlir::Operation *op, const char *name) {
  return op->getAttrOfType<mlir::IntegerAttr>(name).getInt();
}

bool flagAttr(mlir::Operation *op, const char *name) {
  auto a = op->getAttrOfType<mlir::BoolAttr>(name);
  return a && a.getValue();
}

namespace {
std::string locName(mlir::Location loc) {
  if (auto n = loc.dyn_cast<mlir::NameLoc>())
    return n.getName().str();
  if (auto f = loc.dyn_cast<mlir::FusedLoc>())
    for (mlir::Location l : f.getLocations()) {
      std::string s = locName(l);
      if (!s.empty())
        return s;
    }
  return "";
}
} // namespace

std::string layerName(mlir::Operation *op) {
  std::string n = locName(op->getLoc());
  return n.empty() ? op->getName().getStringRef().str() : n;
}

void unsupportedOp(mlir::Operation *op, const std::string &verb, const std::string &why) {
  throw std::runtime_error("cannot " + verb + " '" + layerName(op) + "' (" +
                           op->getName().getStringRef().str() + ") on the CPU backend: " + why);
}

const NamedTensor &boundParam(mlir::Operation *op,
                              const std::map<std::string, const NamedTensor *> &given) {
  std::string name = op->getAttrOfType<mlir::StringAttr>("name").str();
  auto it = given.find(name);
  if (it == given.end())
    throw std::runtime_error("no weights for parameter '" + name + "'");
  auto t = op->getResult(0).getType().cast<mlir::RankedTensorType>();
  std::vector<int64_t> shape(t.getShape().begin(), t.getShape().end());
  if (it->second->shape != shape)
    throw std::runtime_error("parameter '" + name + "' is " + shapeString(it->second->shape) +
                             " but the network needs " + shapeString(shape));
  return *it->second;
}

void nchwToNhwc(const float *in, float *out, int64_t n, int64_t c, int64_t h, int64_t w) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t ch = 0; ch < c; ++ch) {
        const float *src = in + ((b * c + ch) * h + y) * w;
        float *dst = out + (b * h + y) * w * c + ch;
        for (int64_t x = 0; x < w; ++x)
          dst[x * c] = src[x];
      }
}

} // namespace netc::runtime
