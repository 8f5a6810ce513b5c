#include "validate/gpu/ecc_delta.hpp"

#include <cstdint>

namespace gpuval::checks {
namespace {

using nlohmann::json;

json counters(const NvmlEcc& e) {
  auto opt = [](const std::optional<std::uint64_t>& v) { return v ? json(*v) : json(nullptr); };
  return {{"enabled", e.enabled ? json(*e.enabled) : json(nullptr)},
          {"volatile_corrected", opt(e.volatile_corrected)},
          {"volatile_uncorrected", opt(e.volatile_uncorrected)}};
}

// Growth of a counter; nullopt when either read is missing. A counter that went down (driver
// reloaded in between) tells nothing.
std::optional<std::uint64_t> growth(const std::optional<std::uint64_t>& before,
                                    const std::optional<std::uint64_t>& after) {
  if (!before || !after || *after < *before) return std::nullopt;
  return *after - *before;
}

}  // namespace

EccDelta ecc_delta(const std::optional<NvmlEcc>& before, const std::optional<NvmlEcc>& after) {
  EccDelta d;
  if (!before || !after) {
    d.metrics = {{"read", false}, {"reason", "NVML not available for this device"}};
    return d;
  }
  const auto corrected = growth(before->volatile_corrected, after->volatile_corrected);
  const auto uncorrected = growth(before->volatile_uncorrected, after->volatile_uncorrected);
  d.metrics = {{"read", true},
               {"before", counters(*before)},
               {"after", counters(*after)},
               {"new_corrected", corrected ? json(*corrected) : json(nullptr)},
               {"new_uncorrected", uncorrected ? json(*uncorrected) : json(nullptr)}};
  if (uncorrected && *uncorrected > 0) {
    d.status = Status::Fail;
    d.message = std::to_string(*uncorrected) + " uncorrectable ECC error(s) during the test";
    d.hint =
        "uncorrectable ECC errors while writing test patterns: drain the GPU, check `nvidia-smi "
        "-q -d ECC,ROW_REMAPPER` and `dmesg` for Xid 48/63/64/94/95, reset it (row remapping "
        "needs a reset) and RMA it if errors repeat";
  } else if (corrected && *corrected > 0) {
    d.status = Status::Warn;
    d.message = std::to_string(*corrected) + " corrected ECC error(s) during the test";
    d.hint =
        "ECC corrected errors while writing test patterns: the memory is degrading; watch "
        "`nvidia-smi -q -d ECC,ROW_REMAPPER` and plan a reset (pending row remaps) or RMA";
  } else if (before->enabled == false) {
    d.message = "ECC off: memory errors would go unnoticed";
  }
  return d;
}

}  // namespace gpuval::checks
