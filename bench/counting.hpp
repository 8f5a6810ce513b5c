// How much work each benchmark does per iteration, and the host-link peak. Bytes are counted as
// read + write (BabelStream's convention): copy moves 2 arrays, triad 3. GEMM FLOP = 2 * M * N * K;
// convolution FLOP = 2 * N * K * P * Q * C * R * S.
#pragma once

#include <cstddef>
#include <optional>

namespace gpuval::bench {

enum class StreamOp { Copy, Scale, Add, Triad, Dot };

// Convolution dimensions: input N x C x H x W, K filters of C x R x S, padding, stride.
struct ConvDims {
  int n = 0, c = 0, h = 0, w = 0, k = 0, r = 0, s = 0, pad = 0, stride = 1;
};

// Arrays one launch touches: copy 2 (read a, write c), scale 2, add 3, triad 3, dot 2 (reads only).
int stream_arrays_touched(StreamOp op);
// Bytes one launch moves through DRAM: arrays touched x elements x sizeof(double).
double stream_bytes(StreamOp op, std::size_t elements);
// cudaMemcpy device-to-device of `bytes`: read once and written once, 2 x bytes.
double d2d_copy_bytes(std::size_t bytes);
// 2 * M * N * K: one multiply and one add per term.
double gemm_flops(long long m, long long n, long long k);

// Output height (or width) of a convolution: (in + 2 pad - filter) / stride + 1 (dilation 1);
// 0 when the filter does not fit the padded input or the stride is not positive.
long long conv_output_size(long long in, long long filter, long long pad, long long stride);
// 2 * N * K * P * Q * C * R * S: the direct convolution's multiply-adds, whatever algorithm
// (Winograd, FFT) cuDNN picks.
double conv2d_flops(const ConvDims& d);

// Theoretical one-direction PCIe rate in GB/s for a link generation and width: Gen1 2.5 GT/s and
// Gen2 5 GT/s with 8b/10b, Gen3 8, Gen4 16, Gen5 32 GT/s with 128b/130b. Empty for an unknown
// generation (Gen6's FLIT encoding is not modelled) or a zero width.
std::optional<double> pcie_link_gb_s(unsigned gen, unsigned width);

}  // namespace gpuval::bench
