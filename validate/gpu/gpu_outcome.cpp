#include "validate/gpu/gpu_outcome.hpp"

#include <random>

#include "core/gpu_error_hints.hpp"

namespace gpuval {

DeviceOutcome outcome_from_error(int device, const CudaError& error) {
  DeviceOutcome o;
  o.device = device;
  o.status = Status::Fail;
  o.message = error.what();
  o.hint = gpu_error_hint(error.name());
  o.metrics = {{"error",
                {{"library", std::string(to_string(error.library()))},
                 {"code", error.code()},
                 {"name", error.name()},
                 {"description", error.description()},
                 {"call", error.call()}}}};
  return o;
}

CheckResult roll_up(const std::vector<DeviceOutcome>& outcomes, nlohmann::json extra) {
  CheckResult r;
  r.metrics = extra.is_object() ? std::move(extra) : nlohmann::json::object();
  nlohmann::json devices = nlohmann::json::array();
  for (const DeviceOutcome& o : outcomes) {
    nlohmann::json d = o.metrics.is_object() ? o.metrics : nlohmann::json::object();
    d["index"] = o.device;
    d["status"] = std::string(to_string(o.status));
    d["message"] = o.message;
    devices.push_back(std::move(d));
  }
  r.metrics["devices"] = std::move(devices);
  if (outcomes.empty()) {
    r.status = Status::Fail;
    r.message = "no device was checked";
    r.hint = "CUDA reported usable GPUs but none could be enumerated: see cuda-driver";
    return r;
  }

  // The worst outcome decides; among equals the first device speaks. All-SKIP stays SKIP.
  const DeviceOutcome* shown = &outcomes.front();
  Status status = outcomes.front().status;
  for (const DeviceOutcome& o : outcomes) {
    if (worst(status, o.status) != status) {
      status = o.status;
      shown = &o;
    }
  }
  r.status = status;
  if (status == Status::Pass || status == Status::Skip) {
    r.message = outcomes.size() == 1
                    ? shown->message
                    : std::to_string(outcomes.size()) + " devices: " + shown->message;
  } else {
    r.message = "device " + std::to_string(shown->device) + ": " + shown->message;
  }
  r.hint = shown->hint;
  return r;
}

bool gpu_unusable(const Facts& facts) { return !facts.gpu_usable; }

CheckResult skip_no_gpu() {
  return make_result({}, {}, Status::Skip, "no usable GPU (see verdict)");
}

int device_count(const Facts& facts) {
  return facts.cuda && facts.cuda->device_count > 0 ? facts.cuda->device_count : 0;
}

std::uint64_t pick_seed(std::uint64_t requested) {
  if (requested != 0) return requested;
  std::random_device rd;
  const std::uint64_t seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return seed != 0 ? seed : 1;
}

}  // namespace gpuval
