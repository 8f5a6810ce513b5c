// gpuval's exit codes (documented in the README). Never 0 on a failure.
#pragma once

namespace gpuval::exit_code {

inline constexpr int kPass = 0;         // every check passed (warnings allowed)
inline constexpr int kFailed = 1;       // a check failed, or compare found a regression
inline constexpr int kBadInput = 2;     // usage error, bad input file, unwritable output
inline constexpr int kNoGpu = 3;        // no usable GPU in this environment (cause in the verdict)
inline constexpr int kInterrupted = 130;  // SIGINT/SIGTERM; the document written so far is valid

}  // namespace gpuval::exit_code
