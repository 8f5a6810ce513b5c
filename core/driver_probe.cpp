// STUB: replaced by the real dlopen implementation.
#include "core/driver_probe.hpp"

namespace gpuval {
LibraryLoad DlopenLibraryLoader::load(const std::string&) const { return {false, {}, "not implemented"}; }
CudaDriverStatus DlopenCudaDriverProbe::probe() const { return {}; }
}  // namespace gpuval
