#include "kernels/element_rounding.cuh"
#include "kernels/reference_gemm.cuh"

namespace gpuval::kernels {
namespace {

constexpr int kTile = 16;
constexpr unsigned kQuantizeBlock = 256;

using detail::Rounding;

template <typename T>
__global__ void quantize_kernel(double* __restrict__ values, T* __restrict__ typed, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const T t = Rounding<T>::to(values[i]);
    typed[i] = t;
    values[i] = Rounding<T>::back(t);
  }
}

template <typename T>
cudaError_t quantize(double* values, void* typed, std::size_t n, cudaStream_t stream) {
  const std::size_t blocks = (n + kQuantizeBlock - 1) / kQuantizeBlock;
  const unsigned grid = blocks > 65535 ? 65535u : static_cast<unsigned>(blocks);
  quantize_kernel<T><<<grid, kQuantizeBlock, 0, stream>>>(values, static_cast<T*>(typed), n);
  return cudaGetLastError();
}

__global__ void reference_gemm_tn_kernel(int m, int n, int k, const double* __restrict__ at,
                                         const double* __restrict__ b, double* __restrict__ c) {
  // The +1 column keeps the column-wise reads of the compute loop free of bank conflicts.
  __shared__ double a_tile[kTile][kTile + 1];  // [m within tile][k within tile]
  __shared__ double b_tile[kTile][kTile + 1];  // [n within tile][k within tile]
  const int tx = static_cast<int>(threadIdx.x);
  const int ty = static_cast<int>(threadIdx.y);
  const int m0 = static_cast<int>(blockIdx.x) * kTile;
  const int n0 = static_cast<int>(blockIdx.y) * kTile;
  double acc = 0.0;
  for (int k0 = 0; k0 < k; k0 += kTile) {
    // Consecutive tx read consecutive k: coalesced for both operands.
    const int kk = k0 + tx;
    const int am = m0 + ty;
    const int bn = n0 + ty;
    a_tile[ty][tx] = (am < m && kk < k) ? at[static_cast<std::size_t>(am) * k + kk] : 0.0;
    b_tile[ty][tx] = (bn < n && kk < k) ? b[static_cast<std::size_t>(bn) * k + kk] : 0.0;
    __syncthreads();
    for (int i = 0; i < kTile; ++i) acc = fma(a_tile[tx][i], b_tile[ty][i], acc);
    __syncthreads();  // the next iteration overwrites the tiles
  }
  const int row = m0 + tx;
  const int col = n0 + ty;
  if (row < m && col < n) c[static_cast<std::size_t>(col) * m + row] = acc;
}

}  // namespace

cudaError_t launch_quantize(GemmElement element, double* values, void* typed, std::size_t n,
                            cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  switch (element) {
    case GemmElement::F64:
      return quantize<double>(values, typed, n, stream);
    case GemmElement::F32:
      return quantize<float>(values, typed, n, stream);
    case GemmElement::F16:
      return quantize<__half>(values, typed, n, stream);
    case GemmElement::BF16:
      return quantize<__nv_bfloat16>(values, typed, n, stream);
    case GemmElement::E4M3:
      return quantize<__nv_fp8_e4m3>(values, typed, n, stream);
  }
  return cudaErrorInvalidValue;
}

cudaError_t launch_reference_gemm_tn(int m, int n, int k, const double* at, const double* b,
                                     double* c, cudaStream_t stream) {
  if (m <= 0 || n <= 0 || k <= 0) return cudaErrorInvalidValue;
  const dim3 block(kTile, kTile);
  const dim3 grid(static_cast<unsigned>((m + kTile - 1) / kTile),
                  static_cast<unsigned>((n + kTile - 1) / kTile));
  reference_gemm_tn_kernel<<<grid, block, 0, stream>>>(m, n, k, at, b, c);
  return cudaGetLastError();
}

}  // namespace gpuval::kernels
