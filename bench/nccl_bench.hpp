// The NCCL collectives of `gpuval bench` (group "nccl"): all-reduce, all-gather and
// reduce-scatter over every visible GPU, one rank per GPU in one process, through the NCCL probe
// module (probes/nccl_probe.cpp) run in the probe worker process (probes/host/probe_worker.hpp).
// Two passes, each a fresh worker because NCCL reads its environment once per process:
// "default" (NCCL's own choice: NVLink/P2P, NVLS) and "no-p2p" (P2P and NVLS off, so the SHM
// transport through /dev/shm carries the data: a small /dev/shm fails there, with the
// --shm-size hint, instead of hanging a training job later).
//
// Figures as nccl-tests counts them: algbw = bytes / time per call, busbw = algbw x 2(n-1)/n
// (all-reduce) or x (n-1)/n (all-gather, reduce-scatter); the entry's samples are busbw.
// The transport NCCL chose comes from its own log (NCCL_DEBUG=INFO into NCCL_DEBUG_FILE, read
// after the pass): the transport of the channel connections ("via P2P/CUMEM/read", "via
// SHM/direct/direct", "via NET/IB/0"), the path type of the topology search ("type NVL/PIX")
// and whether NVLS was set up ("NVLS comm ..."). CUDA-free: unit-tested with the fake module.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/catalogue.hpp"
#include "probes/host/probe_worker.hpp"

namespace gpuval::bench {

// "all-reduce", "all-gather", "reduce-scatter".
std::string nccl_collective(BenchKind kind);
// nccl-tests' bus bandwidth factor for `ranks` ranks: 2(n-1)/n for all-reduce, (n-1)/n for
// all-gather and reduce-scatter; 0 below two ranks.
double nccl_bus_factor(BenchKind kind, int ranks);

// What one pass sets in the worker's environment on top of gpuval's.
struct NcclPass {
  std::string id;    // "default", "no-p2p"
  std::string what;  // one line for messages
  std::vector<std::pair<std::string, std::string>> env;
};
const NcclPass& nccl_pass(const std::string& id);
// The logging every pass gets: NCCL_DEBUG=INFO, the subsystems that name transports and paths,
// NCCL_DEBUG_FILE in `log_dir` (one file per process).
std::vector<std::pair<std::string, std::string>> nccl_debug_env(const std::string& log_dir);

// What NCCL's INFO log says about the transports of one pass.
struct NcclTransport {
  std::map<std::string, int> connections;  // "P2P/CUMEM/read" -> channel connections
  std::map<std::string, int> transports;   // "P2P", "SHM", "NET", "COLLNET" -> connections
  std::set<std::string> path_types;        // intra-node path of the search: "NVL", "PIX", "SYS"
  std::optional<bool> nvls_available;      // "NVLS multicast support is (not) available"
  bool nvls_used = false;                  // "NVLS comm ..." (an NVLS communicator was set up)
  std::string network;                     // "Using network IB" -> "IB"
  std::string version;                     // "NCCL version 2.28.9+cuda13.0"
  std::vector<std::string> warnings;       // "NCCL WARN ..." texts, at most 20
  std::vector<std::string> tail;           // the last lines, for a failure's details
  int lines = 0;

  // The transport most connections use ("P2P", "SHM", "NET"), "" when the log named none.
  std::string primary() const;
  // "P2P over NVLink + NVLS", "SHM", "NET (IB)", ...
  std::string label() const;
  nlohmann::json to_json() const;
};
NcclTransport parse_nccl_log(std::string_view text);

// The module request for one pass's specs (all the same pass, ranks >= 2): the collectives and
// sizes they name, the profile's warm-up, repetitions, budget and timeout.
nlohmann::json nccl_request(const std::vector<const BenchSpec*>& specs, const NcclProfile& profile,
                            int progress_fd);

// Facts a pass's failure message draws on.
struct NcclEnvironment {
  std::optional<std::uint64_t> dev_shm_bytes;  // size of /dev/shm (statvfs), when known
};

// One entry per spec (same order) from what the pass's worker left: its answer, or the results
// its heartbeat carried before it died or was killed.
std::vector<nlohmann::json> nccl_pass_entries(const std::vector<const BenchSpec*>& specs,
                                              const WorkerResult& worker,
                                              const NcclTransport& transport,
                                              const NcclEnvironment& environment);

struct NcclRunOptions {
  std::vector<std::string> probe_dirs;  // where the module (and by default the worker) is
  std::string worker;                   // the worker; "" = find_probe_worker(probe_dirs)
  std::string profile = "quick";
  int cuda_runtime_version = 0;
  std::function<void(const std::string&)> progress;  // one line per finished pass
  std::function<bool()> cancelled;                   // interrupted()
  double idle_margin_s = 30;  // heartbeat silence allowed beyond the module's own timeout
  double timeout_s = 0;       // the module's bound of every wait; 0: the profile's
};

// Every NCCL spec's entry, in the order given: SKIP when the module or worker is missing or
// fewer than two GPUs are visible, else one worker per pass.
std::vector<nlohmann::json> run_nccl(const std::vector<BenchSpec>& specs,
                                     const NcclRunOptions& options);

}  // namespace gpuval::bench
