// STREAM kernels (copy, scale, add, triad, dot) over doubles with 16-byte (double2) accesses and a
// grid-stride loop, so each element is read and written exactly once per launch. Host launchers
// only; each returns the cudaError_t of its launch(es). `n` must be even (16-byte vectors) and the
// pointers 16-byte aligned (cudaMalloc gives 256).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#if defined(__CUDACC__)
#define GPUVAL_STREAM_HD __host__ __device__
#else
#define GPUVAL_STREAM_HD
#endif

namespace gpuval::kernels {

// Blocks for a STREAM launch on `device`: SM count x resident blocks per SM of the STREAM kernels
// (occupancy API), so one wave covers the chip and the grid-stride loop does the rest.
cudaError_t stream_grid_size(int device, int* blocks);

// Threads per block of every STREAM kernel.
inline constexpr int kStreamBlockSize = 256;

// a[i] = 1 + (i % 1024) / 1024, b[i] = 2 - (i % 512) / 512: index-dependent, never zero, so a
// wrong index or an unwritten element shows in the verification (stream_init_a / _b on the host).
cudaError_t launch_stream_init(double* a, double* b, std::size_t n, int blocks,
                               cudaStream_t stream);
GPUVAL_STREAM_HD constexpr double stream_init_a(std::size_t i) {
  return 1.0 + static_cast<double>(i % 1024) / 1024.0;
}
GPUVAL_STREAM_HD constexpr double stream_init_b(std::size_t i) {
  return 2.0 - static_cast<double>(i % 512) / 512.0;
}

// c = a
cudaError_t launch_stream_copy(const double* a, double* c, std::size_t n, int blocks,
                               cudaStream_t stream);
// b = s * c
cudaError_t launch_stream_scale(double s, const double* c, double* b, std::size_t n, int blocks,
                                cudaStream_t stream);
// c = a + b
cudaError_t launch_stream_add(const double* a, const double* b, double* c, std::size_t n,
                              int blocks, cudaStream_t stream);
// a = b + s * c
cudaError_t launch_stream_triad(double s, const double* b, const double* c, double* a,
                                std::size_t n, int blocks, cudaStream_t stream);
// *result = sum(a[i] * b[i]): stage 1 writes one partial sum per block to partials[blocks]
// (shared-memory tree per block), stage 2 (one block) sums the partials into *result. No atomics,
// so the result is deterministic for a given grid.
cudaError_t launch_stream_dot(const double* a, const double* b, double* partials, double* result,
                              std::size_t n, int blocks, cudaStream_t stream);

// What an op's output holds after one launch on the init pattern (c = a for scale and triad).
enum class StreamResult { Copy, Scale, Add, Triad };
GPUVAL_STREAM_HD constexpr double stream_expected(StreamResult op, double s, std::size_t i) {
  switch (op) {
    case StreamResult::Copy:
      return stream_init_a(i);
    case StreamResult::Scale:
      return s * stream_init_a(i);
    case StreamResult::Add:
      return stream_init_a(i) + stream_init_b(i);
    case StreamResult::Triad:
      return stream_init_b(i) + s * stream_init_a(i);
  }
  return 0.0;
}

// Checks `out` against stream_expected on the device: counters[0] += elements with
// |out - expected| > tolerance x |expected| (NaN included), counters[1] = min(counters[1], first
// such index). The caller sets counters to {0, ~0} first (on `stream`).
cudaError_t launch_stream_check(StreamResult op, double s, const double* out, std::size_t n,
                                double tolerance, unsigned long long* counters,
                                cudaStream_t stream);

}  // namespace gpuval::kernels
