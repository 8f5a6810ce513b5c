// The known inputs and the device-side check of collective results (kernels/
// collective_pattern.cuh), on one device: run under compute-sanitizer with the other Kernels*
// cases. The fill writes every element of an odd size; the check finds a right result clean,
// counts each wrong element, names the first, and finds a NaN-poisoned output wrong everywhere.
#include "kernels/collective_pattern.cuh"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"

namespace gpuval {
namespace {

using kernels::CollectiveKind;

TEST(KernelsCollectivePattern, FillWritesEveryElementAndTheCheckCountsEachWrongOne) {
  const unsigned nranks = 4, rank = 2;
  const std::size_t chunk = 1'037;  // not a multiple of the block
  auto count_bad = [&](CollectiveKind kind, const cuda::DeviceBuffer<float>& out) {
    cuda::DeviceBuffer<unsigned long long> counters(2);
    counters.upload(std::vector<unsigned long long>{0ull, ~0ull});
    GPUVAL_CUDA_CHECK(kernels::launch_collective_check(kind, out.get(), out.size(), rank, nranks,
                                                       chunk, counters.get(), nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    return counters.download();
  };
  // The fill: every element of an odd-sized input.
  cuda::DeviceBuffer<float> in(chunk * nranks);
  in.fill_bytes(0xFF);
  GPUVAL_CUDA_CHECK(kernels::launch_collective_fill(in.get(), in.size(), rank, nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> filled = in.download();
  for (std::size_t i = 0; i < filled.size(); ++i) {
    ASSERT_EQ(filled[i], kernels::collective_input(rank, i)) << i;
  }
  for (CollectiveKind kind :
       {CollectiveKind::AllReduce, CollectiveKind::AllGather, CollectiveKind::ReduceScatter}) {
    const std::size_t count = kind == CollectiveKind::AllGather ? chunk * nranks : chunk;
    std::vector<float> right(count);
    for (std::size_t j = 0; j < count; ++j) {
      right[j] = kernels::collective_expected(kind, rank, nranks, chunk, j);
    }
    cuda::DeviceBuffer<float> out(count);
    out.upload(right);
    std::vector<unsigned long long> bad = count_bad(kind, out);
    EXPECT_EQ(bad[0], 0u) << static_cast<int>(kind);
    // Three wrong elements, the first at 5: counted, and the first one named.
    std::vector<float> wrong = right;
    wrong[5] += 1.0f;
    wrong[count / 2] = -1.0f;
    wrong[count - 1] = 0.0f;
    out.upload(wrong);
    bad = count_bad(kind, out);
    EXPECT_EQ(bad[0], 3u);
    EXPECT_EQ(bad[1], 5u);
    // A poisoned (NaN) output is wrong everywhere.
    out.fill_bytes(0xFF);
    EXPECT_EQ(count_bad(kind, out)[0], count);
  }
}

}  // namespace
}  // namespace gpuval
