// Per-device results of a GPU check and how they roll up into one CheckResult: the worst device
// decides the status, its message and hint are shown, and every device's details go into
// metrics.devices.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/check_result.hpp"
#include "core/context.hpp"
#include "core/cuda_error.hpp"

namespace gpuval {

struct DeviceOutcome {
  int device = 0;
  Status status = Status::Pass;
  std::string message;
  std::string hint;
  nlohmann::json metrics = nlohmann::json::object();
};

// FAIL naming the error (its name, code, the call) with the hint for that name.
DeviceOutcome outcome_from_error(int device, const CudaError& error);

// PASS: "<message of device 0>" for one device, "<n> devices: <message of device 0>" for more.
// Otherwise the worst device's status with "device <i>: <message>" and its hint. An empty list is
// a FAIL (nothing was checked). `metrics` gets "devices": [...] and anything in `extra`.
CheckResult roll_up(const std::vector<DeviceOutcome>& outcomes,
                    nlohmann::json extra = nlohmann::json::object());

// The SKIP every GPU check returns when no GPU is usable; nullopt-like empty id when usable.
bool gpu_unusable(const Facts& facts);
CheckResult skip_no_gpu();

// The devices to check: what cuInit enumerated (it honours CUDA_VISIBLE_DEVICES like the runtime).
int device_count(const Facts& facts);

// A fresh seed unless the options fixed one.
std::uint64_t pick_seed(std::uint64_t requested);

// Runs fn(device) -> DeviceOutcome for each device; a CudaError (or other exception) thrown by fn
// becomes that device's FAIL, and the next device still runs.
template <typename Fn>
std::vector<DeviceOutcome> for_each_device(const Facts& facts, Fn&& fn) {
  std::vector<DeviceOutcome> outcomes;
  for (int d = 0; d < device_count(facts); ++d) {
    try {
      outcomes.push_back(fn(d));
    } catch (const CudaError& e) {
      outcomes.push_back(outcome_from_error(d, e));
    } catch (const std::exception& e) {
      outcomes.push_back(DeviceOutcome{
          d, Status::Fail, std::string("unexpected error: ") + e.what(),
          "please report this as a gpuval bug with the run document", nlohmann::json::object()});
    }
  }
  return outcomes;
}

}  // namespace gpuval
