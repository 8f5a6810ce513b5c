#include "kernels/element_rounding.cuh"
#include "kernels/operand_fill.cuh"
#include "kernels/operand_rng.hpp"

namespace gpuval::kernels {
namespace {

constexpr unsigned kFillBlock = 256;
// Enough blocks to fill every SM of the largest GPUs several times over; the grid-stride loop
// covers the rest (a 2 Gi-element operand needs no 2^31-thread grid).
constexpr std::size_t kMaxFillBlocks = 65535;

template <typename T>
__global__ void fill_operand_kernel(T* __restrict__ typed, std::size_t count, std::uint64_t key) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += stride) {
    typed[i] = detail::Rounding<T>::to(operand_value(key, i));
  }
}

template <typename T>
cudaError_t fill(void* typed, std::size_t count, std::uint64_t key, cudaStream_t stream) {
  const std::size_t blocks = (count + kFillBlock - 1) / kFillBlock;
  const unsigned grid = static_cast<unsigned>(blocks > kMaxFillBlocks ? kMaxFillBlocks : blocks);
  fill_operand_kernel<T><<<grid, kFillBlock, 0, stream>>>(static_cast<T*>(typed), count, key);
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_fill_operand(GemmElement element, void* typed, std::size_t count,
                                std::uint64_t key, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  if (typed == nullptr) return cudaErrorInvalidValue;
  switch (element) {
    case GemmElement::F64:
      return fill<double>(typed, count, key, stream);
    case GemmElement::F32:
      return fill<float>(typed, count, key, stream);
    case GemmElement::F16:
      return fill<__half>(typed, count, key, stream);
    case GemmElement::BF16:
      return fill<__nv_bfloat16>(typed, count, key, stream);
    case GemmElement::E4M3:
      return fill<__nv_fp8_e4m3>(typed, count, key, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace gpuval::kernels
