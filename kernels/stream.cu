#include "kernels/stream.cuh"

namespace gpuval::kernels {
namespace {

__global__ void init_kernel(double2* a, double2* b, std::size_t nv) {
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < nv;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t i = 2 * v;
    a[v] = make_double2(stream_init_a(i), stream_init_a(i + 1));
    b[v] = make_double2(stream_init_b(i), stream_init_b(i + 1));
  }
}

__global__ void copy_kernel(const double2* __restrict__ a, double2* __restrict__ c,
                            std::size_t nv) {
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < nv;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    c[v] = a[v];
  }
}

__global__ void scale_kernel(double s, const double2* __restrict__ c, double2* __restrict__ b,
                             std::size_t nv) {
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < nv;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const double2 x = c[v];
    b[v] = make_double2(s * x.x, s * x.y);
  }
}

__global__ void add_kernel(const double2* __restrict__ a, const double2* __restrict__ b,
                           double2* __restrict__ c, std::size_t nv) {
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < nv;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const double2 x = a[v];
    const double2 y = b[v];
    c[v] = make_double2(x.x + y.x, x.y + y.y);
  }
}

__global__ void triad_kernel(double s, const double2* __restrict__ b, const double2* __restrict__ c,
                             double2* __restrict__ a, std::size_t nv) {
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < nv;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const double2 x = b[v];
    const double2 y = c[v];
    a[v] = make_double2(x.x + s * y.x, x.y + s * y.y);
  }
}

// Sum of one block's values into out[blockIdx.x]; blockDim.x == kStreamBlockSize (a power of 2).
__device__ void block_sum(double value, double* out) {
  __shared__ double partial[kStreamBlockSize];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
}

__global__ void dot_partial_kernel(const double2* __restrict__ a, const double2* __restrict__ b,
                                   double* partials, std::size_t nv) {
  double sum = 0.0;
  for (std::size_t v = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; v < nv;
       v += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const double2 x = a[v];
    const double2 y = b[v];
    sum += x.x * y.x + x.y * y.y;
  }
  block_sum(sum, partials);
}

__global__ void dot_final_kernel(const double* partials, int count, double* result) {
  double sum = 0.0;
  for (int i = static_cast<int>(threadIdx.x); i < count; i += static_cast<int>(blockDim.x)) {
    sum += partials[i];
  }
  block_sum(sum, result);
}

__global__ void check_kernel(StreamResult op, double s, const double* out, std::size_t n,
                             double tolerance, unsigned long long* counters) {
  unsigned long long bad = 0;
  unsigned long long first = ~0ull;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const double want = stream_expected(op, s, i);
    // Written as !(error <= bound) so a NaN fails.
    if (!(fabs(out[i] - want) <= tolerance * fabs(want))) {
      if (bad == 0) first = i;
      ++bad;
    }
  }
  if (bad != 0) {
    atomicAdd(&counters[0], bad);
    atomicMin(&counters[1], first);
  }
}

unsigned grid(int blocks) { return static_cast<unsigned>(blocks > 0 ? blocks : 1); }

}  // namespace

cudaError_t stream_grid_size(int device, int* blocks) {
  int sms = 0;
  int per_sm = 0;
  cudaError_t err = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (err != cudaSuccess) return err;
  err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, triad_kernel, kStreamBlockSize, 0);
  if (err != cudaSuccess) return err;
  *blocks = sms * (per_sm > 0 ? per_sm : 1);
  return cudaSuccess;
}

cudaError_t launch_stream_init(double* a, double* b, std::size_t n, int blocks,
                               cudaStream_t stream) {
  init_kernel<<<grid(blocks), kStreamBlockSize, 0, stream>>>(reinterpret_cast<double2*>(a),
                                                             reinterpret_cast<double2*>(b), n / 2);
  return cudaGetLastError();
}

cudaError_t launch_stream_copy(const double* a, double* c, std::size_t n, int blocks,
                               cudaStream_t stream) {
  copy_kernel<<<grid(blocks), kStreamBlockSize, 0, stream>>>(reinterpret_cast<const double2*>(a),
                                                             reinterpret_cast<double2*>(c), n / 2);
  return cudaGetLastError();
}

cudaError_t launch_stream_scale(double s, const double* c, double* b, std::size_t n, int blocks,
                                cudaStream_t stream) {
  scale_kernel<<<grid(blocks), kStreamBlockSize, 0, stream>>>(
      s, reinterpret_cast<const double2*>(c), reinterpret_cast<double2*>(b), n / 2);
  return cudaGetLastError();
}

cudaError_t launch_stream_add(const double* a, const double* b, double* c, std::size_t n,
                              int blocks, cudaStream_t stream) {
  add_kernel<<<grid(blocks), kStreamBlockSize, 0, stream>>>(reinterpret_cast<const double2*>(a),
                                                            reinterpret_cast<const double2*>(b),
                                                            reinterpret_cast<double2*>(c), n / 2);
  return cudaGetLastError();
}

cudaError_t launch_stream_triad(double s, const double* b, const double* c, double* a,
                                std::size_t n, int blocks, cudaStream_t stream) {
  triad_kernel<<<grid(blocks), kStreamBlockSize, 0, stream>>>(
      s, reinterpret_cast<const double2*>(b), reinterpret_cast<const double2*>(c),
      reinterpret_cast<double2*>(a), n / 2);
  return cudaGetLastError();
}

cudaError_t launch_stream_dot(const double* a, const double* b, double* partials, double* result,
                              std::size_t n, int blocks, cudaStream_t stream) {
  dot_partial_kernel<<<grid(blocks), kStreamBlockSize, 0, stream>>>(
      reinterpret_cast<const double2*>(a), reinterpret_cast<const double2*>(b), partials, n / 2);
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  dot_final_kernel<<<1, kStreamBlockSize, 0, stream>>>(partials, static_cast<int>(grid(blocks)),
                                                       result);
  return cudaGetLastError();
}

cudaError_t launch_stream_check(StreamResult op, double s, const double* out, std::size_t n,
                                double tolerance, unsigned long long* counters,
                                cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  const std::size_t blocks = (n + kStreamBlockSize - 1) / kStreamBlockSize;
  check_kernel<<<static_cast<unsigned>(blocks < 4096 ? blocks : 4096), kStreamBlockSize, 0,
                 stream>>>(op, s, out, n, tolerance, counters);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
