// The device operand generator (kernels/operand_fill.cuh) against the host: every element, of
// every element type, equals operand_value + the host's exact rounding (probes/element_codec.hpp)
// bit for bit; a poisoned buffer is overwritten everywhere and nowhere past its end; and
// fill_random's captured segments are the decoded device elements. Named Kernels* so the GPU
// script runs it under compute-sanitizer with the other kernels.
#include "kernels/operand_fill.cuh"

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "kernels/operand_rng.hpp"
#include "probes/element_codec.hpp"
#include "probes/random_fill.hpp"

namespace gpuval {
namespace {

using kernels::GemmElement;

constexpr GemmElement kElements[] = {GemmElement::F64, GemmElement::F32, GemmElement::F16,
                                     GemmElement::BF16, GemmElement::E4M3};

// The bytes the device wrote for elements [0, count + guard) of a buffer poisoned with 0xFF
// (NaN in every floating type; never a generated value) and filled for `count` elements.
std::vector<unsigned char> fill_poisoned(GemmElement e, std::size_t count, std::size_t guard,
                                         std::uint64_t key) {
  const std::size_t size = kernels::gemm_element_size(e);
  cuda::Stream stream;
  cuda::DeviceBuffer<unsigned char> buffer((count + guard) * size);
  buffer.fill_bytes(0xFF, stream.get());
  GPUVAL_CUDA_CHECK(kernels::launch_fill_operand(e, buffer.get(), count, key, stream.get()));
  std::vector<unsigned char> host(buffer.bytes());
  GPUVAL_CUDA_CHECK(cudaMemcpyAsync(host.data(), buffer.get(), host.size(), cudaMemcpyDeviceToHost,
                                    stream.get()));
  stream.synchronize();
  return host;
}

std::size_t mismatches(GemmElement e, const std::vector<unsigned char>& device, std::size_t count,
                       std::uint64_t key, std::size_t* first) {
  const std::size_t size = kernels::gemm_element_size(e);
  std::size_t bad = 0;
  unsigned char expected[8] = {};
  for (std::size_t i = 0; i < count; ++i) {
    probes::encode_element(e, kernels::operand_value(key, i), expected);
    if (std::memcmp(expected, device.data() + i * size, size) != 0) {
      if (bad == 0) *first = i;
      ++bad;
    }
  }
  return bad;
}

TEST(KernelsOperandFill, DeviceValuesEqualTheHostsBitForBit) {
  const std::size_t count = 5003;  // not a multiple of the block
  const std::size_t guard = 67;
  const std::uint64_t key = kernels::operand_key(2024, 1);
  for (GemmElement e : kElements) {
    SCOPED_TRACE(static_cast<int>(e));
    const std::vector<unsigned char> device = fill_poisoned(e, count, guard, key);
    std::size_t first = 0;
    EXPECT_EQ(mismatches(e, device, count, key, &first), 0u) << "first at " << first;
    const std::size_t size = kernels::gemm_element_size(e);
    for (std::size_t b = count * size; b < device.size(); ++b) {
      ASSERT_EQ(device[b], 0xFF) << "written past the end at byte " << b;
    }
  }
}

// More elements than one grid covers (65535 blocks x 256 threads): the grid-stride loop.
TEST(KernelsOperandFill, ALargeOperandIsFilledToItsLastElement) {
  const std::size_t count = (std::size_t{65535} * 256) + 4099;
  const std::uint64_t key = kernels::operand_key(7, 0);
  const std::vector<unsigned char> device = fill_poisoned(GemmElement::E4M3, count, 16, key);
  std::size_t first = 0;
  EXPECT_EQ(mismatches(GemmElement::E4M3, device, count, key, &first), 0u) << "first at " << first;
  for (std::size_t b = count; b < device.size(); ++b) ASSERT_EQ(device[b], 0xFF) << b;
}

TEST(KernelsOperandFill, ANullBufferIsRefused) {
  EXPECT_EQ(kernels::launch_fill_operand(GemmElement::F32, nullptr, 10, 1, nullptr),
            cudaErrorInvalidValue);
  EXPECT_EQ(kernels::launch_fill_operand(GemmElement::F32, nullptr, 0, 1, nullptr), cudaSuccess);
}

TEST(KernelsOperandFill, FillRandomCapturesTheDecodedDeviceElements) {
  const std::size_t count = 40000;
  const std::uint64_t key = kernels::operand_key(99, 0);
  const std::vector<probes::Segment> segments = {{0, 17}, {12345, 320}, {count - 5, 5}};
  for (GemmElement e : kElements) {
    SCOPED_TRACE(static_cast<int>(e));
    cuda::Stream stream;
    cuda::DeviceBuffer<unsigned char> typed(count * kernels::gemm_element_size(e));
    typed.fill_bytes(0xFF, stream.get());
    const auto captured = probes::fill_random(e, typed.get(), count, key, segments, stream.get());
    ASSERT_EQ(captured.size(), segments.size());
    for (std::size_t s = 0; s < segments.size(); ++s) {
      ASSERT_EQ(captured[s].size(), segments[s].length);
      for (std::size_t i = 0; i < segments[s].length; ++i) {
        const std::size_t at = segments[s].offset + i;
        ASSERT_EQ(captured[s][i], probes::round_to_element(e, kernels::operand_value(key, at)))
            << "segment " << s << " element " << at;
      }
    }
  }
}

TEST(KernelsOperandFill, ASegmentOutsideTheOperandIsRefusedBeforeAnyWork) {
  cuda::Stream stream;
  cuda::DeviceBuffer<unsigned char> typed(100 * 4);
  EXPECT_THROW(
      (void)probes::fill_random(GemmElement::F32, typed.get(), 100, 1, {{90, 11}}, stream.get()),
      std::out_of_range);
}

}  // namespace
}  // namespace gpuval
