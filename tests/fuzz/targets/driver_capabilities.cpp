// NVIDIA_DRIVER_CAPABILITIES: any value. Properties: requested capabilities are unique and
// known, every unknown token is named with a reason, "all" requests every capability.
#include <set>
#include <string>

#include "tests/fuzz/fuzz_target.hpp"
#include "validate/driver/capability_list.hpp"

GPUVAL_FUZZ_TARGET(driver_capabilities) {
  using namespace gpuval;
  const std::string value(fuzz::text_of(data, size));
  const DriverCapabilities caps = parse_driver_capabilities(value);
  (void)to_string(caps.mode);
  std::set<DriverCapability> seen;
  for (DriverCapability c : caps.requested) {
    FUZZ_CHECK(seen.insert(c).second, "a capability requested twice");
    FUZZ_CHECK(caps.has(c));
    FUZZ_CHECK(driver_capability_from_string(to_string(c)) == c);
  }
  for (const UnknownCapability& u : caps.unknown) FUZZ_CHECK(!u.reason.empty(), u.token);
  if (caps.mode == DriverCapabilities::Mode::All) {
    for (DriverCapability c : all_driver_capabilities()) FUZZ_CHECK(caps.has(c));
  }
  (void)driver_capability_from_string(value);
  return 0;
}
