// STUB: replaced by the real implementation.
#include "validate/checks.hpp"

namespace gpuval::checks {
CheckResult injection(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
}  // namespace gpuval::checks
