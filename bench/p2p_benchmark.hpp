// Peer-to-peer bandwidth between two GPUs: the STREAM copy kernel runs on the spec's device and
// reads the peer's memory (p2p-read) or writes it (p2p-write) through the peer mapping
// (cudaDeviceEnablePeerAccess), timed with CUDA events; the destination is verified element by
// element. Bytes are counted once: each byte crosses the link once.
#pragma once

#include <benchmark/benchmark.h>

#include <optional>

#include "bench/catalogue.hpp"
#include "bench/entry.hpp"
#include "core/nvml.hpp"

namespace gpuval::bench {

// Why `spec` (P2PRead or P2PWrite) cannot run here: fewer than two GPUs, the peer not visible,
// or no peer path between the two (cudaDeviceCanAccessPeer). Empty when it can.
std::optional<Outcome> p2p_unavailable(const BenchSpec& spec, int device_count);

// One repetition; throws CudaError or std::runtime_error (memory) for the caller to record.
void run_p2p(benchmark::State& st, const BenchSpec& spec, const NvmlSession* nvml,
             Outcome& outcome);

}  // namespace gpuval::bench
