// NVIDIA_VISIBLE_DEVICES and CUDA_VISIBLE_DEVICES: the two device-selection variables, parsed
// from any value an operator (or a CDI spec) may set. Properties: every token ends up valid,
// invalid or duplicate exactly once; CUDA's effective list never outgrows the token count.
#include <string>

#include "tests/fuzz/fuzz_target.hpp"
#include "validate/parsers/device_list.hpp"

GPUVAL_FUZZ_TARGET(visible_devices) {
  using namespace gpuval;
  const std::string value(fuzz::text_of(data, size));

  const NvidiaVisibleDevices n = parse_nvidia_visible_devices(value);
  FUZZ_CHECK(n.raw && *n.raw == value);
  (void)to_string(n.mode);
  (void)n.requests_all();
  FUZZ_CHECK(n.whole_gpu_count() + n.mig_count() + n.opaque_count() <= n.entries.size() + 1);
  for (const DeviceId& id : n.entries) {
    (void)to_string(id.kind);
    FUZZ_CHECK(!id.token.empty());
    if (id.kind == DeviceIdKind::Index) FUZZ_CHECK(id.index >= 0, id.token);
    if (id.kind == DeviceIdKind::MigIndex) FUZZ_CHECK(id.index >= 0 && id.mig_index >= 0, id.token);
    if (id.kind == DeviceIdKind::GpuUuid) (void)is_full_gpu_uuid(id.token);
  }
  for (const InvalidToken& t : n.invalid) FUZZ_CHECK(!t.reason.empty(), t.token);
  if (n.mode != NvidiaDevicesMode::List)
    FUZZ_CHECK(n.invalid.empty() || n.mode == NvidiaDevicesMode::All);

  const CudaVisibleDevices c = parse_cuda_visible_devices(value);
  FUZZ_CHECK(c.raw && *c.raw == value);
  FUZZ_CHECK(!c.all_devices());
  if (c.truncated_at) {
    FUZZ_CHECK(c.dropped >= 1 && !c.truncation_reason.empty(), *c.truncated_at);
    FUZZ_CHECK(c.truncated_position == c.effective.size() ||
               c.truncated_position >= c.effective.size());
  }
  FUZZ_CHECK(c.effective.size() <= value.size() + 1);

  // Unset behaves as documented: every device.
  FUZZ_CHECK(parse_cuda_visible_devices(std::nullopt).all_devices());
  FUZZ_CHECK(parse_nvidia_visible_devices(std::nullopt).mode == NvidiaDevicesMode::Unset);
  return 0;
}
