#include "dsl/Summary.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace netc::dsl {

std::string withCommas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0)
      out += ',';
    out += digits[k];
  }
  return v < 0 ? "-" + out : out;
}

namespace {

std::string pad(const std::string &s, size_t w, bool right = false) {
  if (s.size() >= w)
    return s;
  return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

std::string giga(int64_t v, const char *unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %s", static_cast<double>(v) / 1e9, unit);
  return buf;
}

} // namespace

std::string summaryTable(const Network &net) {
  size_t wl = 5, wd = 11, ws = 6, wp = 6, wm = 4;
  for (const Row &r : net.rows) {
    wl = std::max(wl, r.label.size());
    wd = std::max(wd, r.desc.size());
    ws = std::max(ws, r.out.str().size());
    wp = std::max(wp, withCommas(r.params).size());
    wm = std::max(wm, withCommas(r.macs).size());
  }
  wp = std::max(wp, withCommas(net.totalParams()).size());
  wm = std::max(wm, withCommas(net.totalMacs()).size());
  std::ostringstream os;
  os << "network " << net.name << ": input " << net.input.str() << ", " << net.classes
     << " classes";
  for (const std::string &b : net.bindings)
    if (b.rfind("input=", 0) != 0 && b.rfind("classes=", 0) != 0)
      os << ", " << b;
  os << "\n\n";
  auto line = [&](const std::string &a, const std::string &b, const std::string &c,
                  const std::string &d, const std::string &e) {
    std::string s = pad(a, wl) + "  " + pad(b, wd) + "  " + pad(c, ws) + "  " + pad(d, wp, true) +
                    "  " + pad(e, wm, true);
    while (!s.empty() && s.back() == ' ')
      s.pop_back();
    os << s << '\n';
  };
  line("layer", "description", "output", "params", "MACs");
  os << std::string(wl + wd + ws + wp + wm + 8, '-') << '\n';
  line("input", "", net.input.str(), "", "");
  for (const Row &r : net.rows)
    line(r.label, r.desc, r.out.str(), withCommas(r.params), withCommas(r.macs));
  os << std::string(wl + wd + ws + wp + wm + 8, '-') << '\n';
  line("total", std::to_string(net.layers.size() - 1) + " primitive layers", "",
       withCommas(net.totalParams()), withCommas(net.totalMacs()));
  char params[32];
  std::snprintf(params, sizeof params, "%.2f M", static_cast<double>(net.totalParams()) / 1e6);
  os << "\nparameters " << withCommas(net.totalParams()) << " (" << params
     << "), multiply-accumulates " << giga(net.totalMacs(), "G") << " per image\n";
  return os.str();
}

std::string summaryJson(const Network &net) {
  nlohmann::ordered_json j;
  j["name"] = net.name;
  j["input"] = {net.input.c, net.input.h, net.input.w};
  j["classes"] = net.classes;
  j["params"] = net.totalParams();
  j["macs"] = net.totalMacs();
  nlohmann::ordered_json b = nlohmann::ordered_json::object();
  for (const std::string &s : net.bindings) {
    size_t eq = s.find('=');
    b[s.substr(0, eq)] = s.substr(eq + 1);
  }
  j["bindings"] = b;
  j["layers"] = nlohmann::ordered_json::array();
  for (const Row &r : net.rows)
    j["layers"].push_back({{"name", r.label},
                           {"desc", r.desc},
                           {"output", {r.out.c, r.out.h, r.out.w}},
                           {"params", r.params},
                           {"macs", r.macs},
                           {"line", r.loc.line}});
  return j.dump(2) + "\n";
}

} // namespace netc::dsl
