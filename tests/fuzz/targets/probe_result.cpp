// What a probe module (libgpuval_probe_cublas.so, ...) answers, from any bytes: a module of
// another build, a truncated or garbled answer. interpret_probe_result never throws and never
// passes a device on malformed output; the texts bench/module_bench.cpp reuses never throw.
#include <string>

#include "probes/host/probe_answers.hpp"
#include "tests/fuzz/fuzz_target.hpp"
#include "validate/gpu/probe_outcome.hpp"

GPUVAL_FUZZ_TARGET(probe_result) {
  using namespace gpuval;
  const std::string_view text = fuzz::text_of(data, size);
  for (const ProbeModuleSpec& spec : {kCublasProbe, kCudnnProbe}) {
    const DeviceOutcome o = interpret_probe_result(spec, 0, text);
    FUZZ_CHECK(!o.message.empty());
    (void)o.metrics.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_object()) {
    if (const auto e = doc.find("error"); e != doc.end()) (void)probe_error_text(*e);
    if (const auto c = doc.find("cases"); c != doc.end() && c->is_array()) {
      for (const nlohmann::json& one : *c) (void)probe_wrong_result_text(one);
    }
  }
  return 0;
}
