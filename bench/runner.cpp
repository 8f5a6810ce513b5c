#include "bench/runner.hpp"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <memory>
#include <regex>
#include <stdexcept>

#include "bench/catalogue.hpp"
#include "bench/entry.hpp"
#include "bench/gpu_benchmarks.hpp"
#include "bench/reporter.hpp"
#include "core/environment.hpp"
#include "validate/probe_loader.hpp"

namespace gpuval::bench {
namespace {

using nlohmann::json;

std::vector<BenchSpec> selected(const BenchOptions& opt, int device, int device_count) {
  std::regex re;
  try {
    re = std::regex(opt.filter.empty() ? std::string(".*") : opt.filter);
  } catch (const std::regex_error& e) {
    throw std::invalid_argument(
        fmt::format("--filter {}: not a valid regular expression ({})", opt.filter, e.what()));
  }
  std::vector<BenchSpec> out;
  for (BenchSpec& s : catalogue(opt.profile, device, device_count)) {
    if (std::regex_search(s.id, re)) out.push_back(std::move(s));
  }
  return out;
}

// "stream-triad/dev:0/bytes:805306368": unique per (id, device, params) and filterable with
// --benchmark_filter.
std::string gb_name(const BenchSpec& s) {
  std::string name = fmt::format("{}/dev:{}", s.id, s.device);
  for (const auto& [key, value] : s.params.items()) {
    name += "/" + key + ":" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return name;
}

bool has_flag(const std::vector<std::string>& args, const std::string& flag) {
  for (const std::string& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

// Hands the pass-through flags to Google Benchmark's parser (which also keeps --benchmark_out
// and --benchmark_out_format working); anything it does not recognise is a usage error.
void initialize_google_benchmark(const std::vector<std::string>& extra) {
  std::vector<std::string> storage{"gpuval"};
  storage.insert(storage.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(storage.size());
  benchmark::Initialize(&argc, argv.data());
  if (argc > 1) {
    throw std::invalid_argument(fmt::format("unrecognised Google Benchmark argument: {}", argv[1]));
  }
}

}  // namespace

json skipped_catalogue(const BenchOptions& opt, const std::string& message) {
  json out = json::array();
  for (const BenchSpec& s : selected(opt, 0, 1)) out.push_back(skip_entry(s, message));
  return out;
}

json run_benchmarks(const BenchOptions& opt, const Facts& facts,
                    std::function<void(const std::string&)> progress) {
  if (!facts.gpu_usable) return skipped_catalogue(opt, "no usable GPU (see verdict)");
  initialize_google_benchmark(opt.benchmark_args);
  const bool user_repetitions = has_flag(opt.benchmark_args, "--benchmark_repetitions");

  NvmlSession::Opened nvml = NvmlSession::open();
  GpuBenchmarks gpu(nvml.session.get(), opt.probe_dirs.empty()
                                            ? probe_search_dirs(Env::from_process())
                                            : opt.probe_dirs);

  struct Planned {
    BenchSpec spec;
    std::string name;
    std::shared_ptr<Outcome> outcome;
    bool registered = false;
  };
  std::vector<Planned> plan;
  const std::size_t devices =
      facts.devices.is_array() && !facts.devices.empty() ? facts.devices.size() : std::size_t{1};
  json out = json::array();
  benchmark::ClearRegisteredBenchmarks();
  for (std::size_t d = 0; d < devices; ++d) {
    for (BenchSpec& s : selected(opt, static_cast<int>(d), static_cast<int>(devices))) {
      Planned p{std::move(s), {}, std::make_shared<Outcome>(), false};
      p.name = gb_name(p.spec);
      if (std::optional<Outcome> why = gpu.add(p.spec, p.name, p.outcome, !user_repetitions)) {
        *p.outcome = *why;
      } else {
        p.registered = true;
      }
      plan.push_back(std::move(p));
    }
  }
  CollectingReporter reporter(progress);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::ClearRegisteredBenchmarks();

  for (const Planned& p : plan) {
    const json device =
        facts.devices.is_array() && p.spec.device < static_cast<int>(facts.devices.size())
            ? facts.devices[static_cast<std::size_t>(p.spec.device)]
            : json::object();
    if (!p.registered) {
      out.push_back(skip_entry(p.spec, p.outcome->message, p.outcome->hint,
                               p.outcome->status.empty() ? "SKIP" : p.outcome->status));
      continue;
    }
    const auto it = reporter.runs().find(p.name);
    if (it == reporter.runs().end()) continue;  // filtered out by --benchmark_filter
    std::vector<RepetitionSample> samples;
    for (const auto& run : it->second) {
      if (auto s = sample_from_run(p.spec, run)) samples.push_back(*s);
    }
    out.push_back(make_entry(p.spec, samples, peak_for(p.spec, device), *p.outcome));
  }
  return out;
}

}  // namespace gpuval::bench
