// libFuzzer target for the .net front end: any byte string must either
// elaborate or fail with a Diagnostic -- never crash, hang or leak.
// Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
#include "dsl/Elaborate.h"
#include "dsl/Parser.h"
#include "dsl/Printer.h"
#include "dsl/Summary.h"

#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace netc::dsl;
  SourceFile f("fuzz.net", std::string(reinterpret_cast<const char *>(data), size));
  try {
    Program p = parse(f);
    Network n = elaborate(p);
    (void)summaryJson(n);
    // The canonical text of anything that parsed must parse again.
    SourceFile g("canon.net", print(p));
    Program q = parse(g);
    if (print(q) != g.text())
      std::abort();
  } catch (const Diagnostic &d) {
    (void)render(d, &f);
  }
  return 0;
}
