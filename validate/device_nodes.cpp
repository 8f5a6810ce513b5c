// STUB: replaced by the real implementation.
#include "validate/checks.hpp"

namespace gpuval::checks {
CheckResult device_nodes(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
CheckResult device_access(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
}  // namespace gpuval::checks
