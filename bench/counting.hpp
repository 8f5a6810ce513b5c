// How much work each benchmark does per iteration, and the host-link peak. Bytes are counted as
// read + write (BabelStream's convention): copy moves 2 arrays, triad 3. GEMM FLOP = 2 * M * N * K.
#pragma once

#include <cstddef>
#include <optional>

namespace gpuval::bench {

enum class StreamOp { Copy, Scale, Add, Triad, Dot };

// Arrays one launch touches: copy 2 (read a, write c), scale 2, add 3, triad 3, dot 2 (reads only).
int stream_arrays_touched(StreamOp op);
// Bytes one launch moves through DRAM: arrays touched x elements x sizeof(double).
double stream_bytes(StreamOp op, std::size_t elements);
// cudaMemcpy device-to-device of `bytes`: read once and written once, 2 x bytes.
double d2d_copy_bytes(std::size_t bytes);
// 2 * M * N * K: one multiply and one add per term.
double gemm_flops(long long m, long long n, long long k);

// Theoretical one-direction PCIe rate in GB/s for a link generation and width: Gen1 2.5 GT/s and
// Gen2 5 GT/s with 8b/10b, Gen3 8, Gen4 16, Gen5 32 GT/s with 128b/130b. Empty for an unknown
// generation (Gen6's FLIT encoding is not modelled) or a zero width.
std::optional<double> pcie_link_gb_s(unsigned gen, unsigned width);

}  // namespace gpuval::bench
