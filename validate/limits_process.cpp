// STUB: replaced by the real implementation.
#include "validate/checks.hpp"

namespace gpuval::checks {
CheckResult shm_size(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
CheckResult memlock(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
}  // namespace gpuval::checks
