#include "bench/counting.hpp"

namespace gpuval::bench {

int stream_arrays_touched(StreamOp op) {
  switch (op) {
    case StreamOp::Copy:
      return 2;
    case StreamOp::Scale:
      return 2;
    case StreamOp::Add:
      return 3;
    case StreamOp::Triad:
      return 3;
    case StreamOp::Dot:
      return 2;
  }
  return 0;
}

double stream_bytes(StreamOp op, std::size_t elements) {
  return static_cast<double>(stream_arrays_touched(op)) * static_cast<double>(elements) *
         static_cast<double>(sizeof(double));
}

double d2d_copy_bytes(std::size_t bytes) { return 2.0 * static_cast<double>(bytes); }

double gemm_flops(long long m, long long n, long long k) {
  return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
}

long long conv_output_size(long long in, long long filter, long long pad, long long stride) {
  if (stride <= 0 || in <= 0 || filter <= 0 || pad < 0 || in + 2 * pad < filter) return 0;
  return (in + 2 * pad - filter) / stride + 1;
}

double conv2d_flops(const ConvDims& d) {
  const long long p = conv_output_size(d.h, d.r, d.pad, d.stride);
  const long long q = conv_output_size(d.w, d.s, d.pad, d.stride);
  return 2.0 * static_cast<double>(d.n) * static_cast<double>(d.k) * static_cast<double>(p) *
         static_cast<double>(q) * static_cast<double>(d.c) * static_cast<double>(d.r) *
         static_cast<double>(d.s);
}

std::optional<double> pcie_link_gb_s(unsigned gen, unsigned width) {
  if (width == 0) return std::nullopt;
  double gt_s = 0;
  double efficiency = 128.0 / 130.0;
  switch (gen) {
    case 1:
      gt_s = 2.5;
      efficiency = 0.8;
      break;
    case 2:
      gt_s = 5.0;
      efficiency = 0.8;
      break;
    case 3:
      gt_s = 8.0;
      break;
    case 4:
      gt_s = 16.0;
      break;
    case 5:
      gt_s = 32.0;
      break;
    default:
      return std::nullopt;
  }
  // One transfer (bit) per lane per GT, 8 bits per byte.
  return gt_s * efficiency * static_cast<double>(width) / 8.0;
}

}  // namespace gpuval::bench
