// STUB: replaced by the real implementation.
#include "validate/checks.hpp"

namespace gpuval::checks {
CheckResult privileged(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
CheckResult security_label(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
CheckResult user_namespace(const Context&, Facts&) { return make_result({}, {}, Status::Skip, "not implemented yet"); }
}  // namespace gpuval::checks
