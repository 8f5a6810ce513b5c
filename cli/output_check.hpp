// Checked before any work starts: a long run or a report over thousands of files must not end in
// a lost result because its output cannot be written.
#pragma once

#include <string>
#include <string_view>

namespace gpuval::cli {

// "" when `path` can be written (or is empty, or "-" for stdout); else one line naming the flag,
// the path and what is wrong, with `fix` appended for an unwritable directory.
std::string unwritable_output(const std::string& path, const char* flag,
                              std::string_view fix = "permissions or read-only file system");

}  // namespace gpuval::cli
