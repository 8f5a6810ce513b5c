// Symbolic errno names ("EPERM") for messages and metrics about device nodes, and back, for the
// fixture trees that force an errno per path (Sysroot::open_errno). One table for both, so a
// name a check prints is one a fixture can force.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gpuval {

// "EPERM", "EACCES", ... for the errors opening a device node gives; "errno N" for the rest.
std::string errno_name(int err);

// The errno of a name errno_name() gives (surrounding whitespace ignored); nullopt otherwise.
std::optional<int> errno_from_name(std::string_view name);

}  // namespace gpuval
