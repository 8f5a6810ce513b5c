// STUB: replaced by the real implementation.
#include "validate/checks.hpp"

namespace gpuval::checks {
CheckResult driver_libraries(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
CheckResult kernel_module(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
}  // namespace gpuval::checks
