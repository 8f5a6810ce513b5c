#include "bench/module_bench.hpp"

#include <fmt/format.h>

#include <utility>

#include "bench/bench_state.hpp"
#include "core/gpu_error_hints.hpp"
#include "probes/host/probe_answers.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

constexpr const char* kMemoryHint =
    "free device memory (other processes: nvidia-smi) or use --quick";

std::string text_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string reinstall_hint() {
  return "the probe module and gpuval come from different builds: reinstall gpuval (bin/ and "
         "lib/ together)";
}

// An outcome for a module's error object, with the hint for the error's name.
Outcome error_outcome(const ProbeModuleSpec& module, const json& error) {
  return Outcome{"FAIL", false, std::string(module.library) + ": " + probe_error_text(error),
                 gpu_error_hint(text_at(error, "name"))};
}

}  // namespace

const ProbeModuleSpec* module_for(const BenchSpec& spec) {
  switch (spec.kind) {
    case BenchKind::Gemm:
      return &kCublasProbe;
    case BenchKind::ConvFwd:
      return &kCudnnProbe;
    default:
      return nullptr;
  }
}

std::optional<Outcome> module_unavailable(const ProbeModuleSpec& module, const ProbeLoad& load,
                                          int cuda_runtime_version) {
  if (load.status != ProbeLoadStatus::Loaded || load.module == nullptr) {
    return Outcome{
        "SKIP", false,
        fmt::format("{} is not usable ({}): {}", module.file, to_string(load.status), load.error),
        probe_package_hint(module, cuda_runtime_version)};
  }
  if (gpuval_probe_module_has_bench(load.module) == 0) {
    return Outcome{
        "SKIP", false,
        fmt::format("{} has no benchmark entry points (module struct of {} bytes, {} needed): it "
                    "was built for an older gpuval",
                    load.path, load.module->struct_size, GPUVAL_PROBE_MODULE_BENCH_SIZE),
        reinstall_hint()};
  }
  return std::nullopt;
}

gpuval_probe_bench_request bench_request(const BenchSpec& spec, std::uint64_t seed, bool corrupt) {
  gpuval_probe_bench_request r{};
  r.struct_size = sizeof(r);
  r.device = spec.device;
  r.op = spec.kind == BenchKind::ConvFwd ? GPUVAL_BENCH_OP_CONV2D_FWD : GPUVAL_BENCH_OP_GEMM;
  r.flags = corrupt ? GPUVAL_PROBE_FLAG_CORRUPT_ONE_ELEMENT : 0u;
  r.precision = precision_name(spec.precision);
  r.m = spec.m;
  r.n = spec.n;
  r.k = spec.k;
  r.conv_n = spec.conv.n;
  r.conv_c = spec.conv.c;
  r.conv_h = spec.conv.h;
  r.conv_w = spec.conv.w;
  r.conv_k = spec.conv.k;
  r.conv_r = spec.conv.r;
  r.conv_s = spec.conv.s;
  r.conv_pad = spec.conv.pad;
  r.conv_stride = spec.conv.stride;
  r.seed = seed;
  return r;
}

std::optional<Outcome> open_failure(const ProbeModuleSpec& module, std::string_view answer) {
  const json doc = json::parse(answer.begin(), answer.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Outcome{"FAIL", false,
                   fmt::format("{} answered bench_open with malformed JSON", module.file),
                   reinstall_hint()};
  }
  const std::string status = text_at(doc, "status");
  if (status == "READY") return std::nullopt;
  if (status == "SKIP") {
    const std::string reason = text_at(doc, "reason");
    const bool memory = text_at(doc, "skip") == "memory";
    return Outcome{"SKIP", false,
                   std::string(module.library) + ": " + (reason.empty() ? "skipped" : reason),
                   memory ? kMemoryHint : ""};
  }
  if (auto e = doc.find("error"); e != doc.end() && e->is_object()) {
    return error_outcome(module, *e);
  }
  return Outcome{
      "FAIL", false,
      fmt::format("{} could not prepare the benchmark (status '{}')", module.file, status),
      reinstall_hint()};
}

BatchResult parse_batch(const ProbeModuleSpec& module, std::string_view text) {
  BatchResult r;
  const json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    r.message = fmt::format("{} answered bench_finish with malformed JSON", module.file);
    return r;
  }
  if (auto e = doc.find("error"); e != doc.end() && e->is_object()) {
    r.message = std::string(module.library) + ": " + probe_error_text(*e);
    return r;
  }
  const auto time = doc.find("time_ms");
  const auto iterations = doc.find("iterations");
  if (time == doc.end() || !time->is_number() || !(time->get<double>() > 0) ||
      iterations == doc.end() || !iterations->is_number_integer() ||
      iterations->get<long long>() <= 0) {
    r.message = fmt::format("{} reported no batch time (time_ms and iterations)", module.file);
    return r;
  }
  r.ok = true;
  r.seconds = time->get<double>() / 1e3;
  r.iterations = iterations->get<long long>();
  r.check = doc.value("check", json::object());
  const auto verified = doc.find("verified");
  r.verified = verified != doc.end() && verified->is_boolean() && verified->get<bool>();
  if (!r.verified) {
    r.message = r.check.is_object() && !r.check.empty() ? probe_wrong_result_text(r.check)
                                                        : "the module did not check its output";
  }
  return r;
}

ModuleBench::ModuleBench(const gpuval_probe_module& module, const ProbeModuleSpec& spec,
                         const gpuval_probe_bench_request& request)
    : module_(module), spec_(spec) {
  char* text = module_.bench_open(&request, &session_);
  if (text == nullptr) {
    failure_ = Outcome{"FAIL", false, std::string(spec_.file) + " returned no answer to bench_open",
                       "the probe module could not allocate its result: out of host memory?"};
  } else {
    description_ = json::parse(text, nullptr, false);
    if (description_.is_discarded()) description_ = json::object();
    failure_ = open_failure(spec_, text);
    module_.free_result(text);
  }
  if (failure_.has_value() && session_ != nullptr) {
    module_.bench_close(session_);  // a session despite a failure: do not hold its memory
    session_ = nullptr;
  }
  if (!failure_.has_value() && session_ == nullptr) {
    failure_ = Outcome{"FAIL", false, std::string(spec_.file) + " answered READY without a session",
                       reinstall_hint()};
  }
}

ModuleBench::~ModuleBench() {
  if (session_ != nullptr) module_.bench_close(session_);
}

bool ModuleBench::start(int iterations, int warmup) {
  if (session_ == nullptr) return false;
  return module_.bench_start(session_, iterations, warmup) == 0;
}

BatchResult ModuleBench::finish() {
  if (session_ == nullptr) {
    BatchResult r;
    r.message = "no open benchmark session";
    return r;
  }
  char* text = module_.bench_finish(session_);
  if (text == nullptr) {
    BatchResult r;
    r.message = std::string(spec_.file) + " returned no answer to bench_finish";
    return r;
  }
  BatchResult r = parse_batch(spec_, text);
  module_.free_result(text);
  return r;
}

ModuleBench& ModuleBenchCache::get(const std::string& key, const Opener& open) {
  if (current_ == nullptr || key_ != key) {
    close();  // before opening: one problem's memory at a time
    current_ = open();
    key_ = key;
  }
  return *current_;
}

void run_module_repetition(benchmark::State& st, ModuleBench& bench, const NvmlSession* nvml,
                           std::optional<unsigned> nvml_index, Outcome& outcome, int warmup) {
  if (!bench.description().empty() && !outcome.details.contains("module")) {
    outcome.details["module"] = bench.description();
  }
  if (const auto& why = bench.failure()) {
    record_failure(st, outcome, why->status, why->message, why->hint);
    return;
  }
  const auto iterations = static_cast<int>(st.max_iterations);
  if (bench.start(iterations, warmup)) sample_clock(st, nvml, nvml_index);  // while it runs
  const BatchResult r = bench.finish();
  if (r.check.is_object() && !r.check.empty()) outcome.details["check"] = r.check;
  if (!r.ok) {
    outcome.verified = false;
    record_failure(st, outcome, "FAIL", r.message, "run `gpuval validate` for the library checks");
    return;
  }
  if (r.iterations != iterations) {
    outcome.verified = false;
    record_failure(
        st, outcome, "FAIL",
        fmt::format("the module timed {} calls, {} were asked for", r.iterations, iterations),
        reinstall_hint());
    return;
  }
  if (!r.verified) {
    outcome.verified = false;
    record_failure(st, outcome, "FAIL", "wrong result: " + r.message,
                   probe_wrong_result_hint(bench.module_spec()));
    return;
  }
  if (outcome.status.empty()) outcome.verified = true;
  const double per_iteration = r.seconds / iterations;
  for (auto _ : st) st.SetIterationTime(per_iteration);
}

}  // namespace gpuval::bench
