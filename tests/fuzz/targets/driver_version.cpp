// Version text from the driver: /proc/driver/nvidia/version, the version suffix of a resolved
// libcuda.so.<version> / libnvidia-ml.so.<version>, driver version strings, and PCI bus ids as
// CUDA and NVML spell them. Properties: a parsed version prints back as the text it came from;
// an unparsed module file gets a reason that quotes only printable bytes.
#include <string>

#include "core/pci_address.hpp"
#include "tests/fuzz/fuzz_target.hpp"
#include "validate/driver/cuda_versions.hpp"

GPUVAL_FUZZ_TARGET(driver_version) {
  using namespace gpuval;
  const std::string_view text = fuzz::text_of(data, size);

  const KernelModuleParse module = parse_kernel_module_version(text);
  FUZZ_CHECK(module.info.has_value() != !module.error.empty());
  if (module.info) {
    FUZZ_CHECK(parse_driver_version(module.info->version).has_value(), module.info->version);
  } else {
    for (char c : module.error) FUZZ_CHECK(c >= 0x20 && c < 0x7f, module.error);
  }

  if (const auto v = parse_driver_version(text)) {
    FUZZ_CHECK(v->text == text);
    FUZZ_CHECK(v->major >= 0 && v->minor >= 0 && v->patch >= 0);
    FUZZ_CHECK(*v == *parse_driver_version(v->text));
    if (const auto floor = minor_compat_floor(v->major % 20)) (void)(*v < *floor);
  }
  const std::string suffix = library_version_suffix(text);
  if (!suffix.empty()) FUZZ_CHECK(parse_driver_version(suffix).has_value(), suffix);

  if (size >= 4) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v * 256 + data[i];
    (void)cuda_version_string(static_cast<int>(v));
  }
  (void)parse_pci(text);
  return 0;
}
