// What to do about an error a GPU check hit after CUDA initialised: keyed by the error NAME the
// library reported (cudaErrorIllegalAddress, CUBLAS_STATUS_NOT_SUPPORTED, CUDNN_STATUS_...), so
// the same table serves the checks in this process and the JSON the probe modules return.
#pragma once

#include <string>
#include <string_view>

namespace gpuval {

// One line, never empty (a generic hint for names not in the table).
std::string gpu_error_hint(std::string_view error_name);

}  // namespace gpuval
