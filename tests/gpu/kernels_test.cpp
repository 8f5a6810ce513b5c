// gpuval's own kernels, launched directly on small odd sizes: the focused set the GPU script runs
// under compute-sanitizer (memcheck, racecheck, initcheck, synccheck): --gtest_filter='Kernels*'.
// Every launch_* declared in kernels/*.cuh must be called from a TEST(Kernels..., ...) here (or in
// another tests/gpu file): tests/unit/kernel_coverage_test.cpp fails otherwise, so a new kernel
// is never left out of the sanitizer runs. Each case poisons its outputs first and checks every
// element after, so a launch that writes nothing, or the wrong elements, fails.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/numeric_compare.hpp"
#include "kernels/byte_pattern.cuh"
#include "kernels/latency.cuh"
#include "kernels/memory_pattern.cuh"
#include "kernels/reference_gemm.cuh"
#include "kernels/sanity.cuh"
#include "kernels/stream.cuh"

namespace gpuval {
namespace {

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

TEST(Kernels, FmaChecksumIsBitExactAndSumsEveryOutput) {
  const std::size_t n = 100'003;  // not a multiple of the block
  const std::vector<float> x = random_floats(n, 1);
  const std::vector<float> y = random_floats(n, 2);
  const float a = 0.75f;
  cuda::DeviceBuffer<float> dx(n), dy(n), dout(n);
  cuda::DeviceBuffer<unsigned long long> sum(1);
  dx.upload(x);
  dy.upload(y);
  dout.fill_bytes(0xFF);
  sum.fill_bytes(0);
  GPUVAL_CUDA_CHECK(
      kernels::launch_fma_checksum(a, dx.get(), dy.get(), dout.get(), n, sum.get(), nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> out = dout.download();
  std::vector<float> expected(n);
  unsigned long long host_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    expected[i] = std::fma(a, x[i], y[i]);
    std::uint32_t bits = 0;
    std::memcpy(&bits, &expected[i], sizeof bits);
    host_sum += bits;
  }
  EXPECT_TRUE(compare_exact(out.data(), expected.data(), n).pass);
  EXPECT_EQ(sum.download().front(), host_sum);
}

TEST(Kernels, ReferenceGemmMatchesTheHostOnAnOddShape) {
  const int m = 37, n = 29, k = 41;  // no dimension a multiple of the 16x16 tile
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> d(-1.0, 1.0);
  std::vector<double> at(static_cast<std::size_t>(k) * m), b(static_cast<std::size_t>(k) * n);
  for (double& v : at) v = d(rng);
  for (double& v : b) v = d(rng);
  cuda::DeviceBuffer<double> dat(at.size()), db(b.size()), dc(static_cast<std::size_t>(m) * n);
  dat.upload(at);
  db.upload(b);
  dc.fill_bytes(0xFF);
  GPUVAL_CUDA_CHECK(
      kernels::launch_reference_gemm_tn(m, n, k, dat.get(), db.get(), dc.get(), nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<double> c = dc.download();
  std::vector<double> ref(c.size());
  for (int col = 0; col < n; ++col) {
    for (int row = 0; row < m; ++row) {
      double acc = 0.0;
      for (int i = 0; i < k; ++i) {
        acc = std::fma(at[static_cast<std::size_t>(row) * k + i],
                       b[static_cast<std::size_t>(col) * k + i], acc);
      }
      ref[static_cast<std::size_t>(col) * m + row] = acc;
    }
  }
  // Same fma order as the kernel: bit-exact in practice; 1e-14 leaves room for nothing else.
  const Comparison cmp = compare_to_reference(c.data(), ref.data(), c.size(), 1e-14);
  EXPECT_TRUE(cmp.pass) << "rel " << cmp.rel_error << " bad " << cmp.bad_elements;
}

TEST(Kernels, QuantizeRoundsToEachTypeAndIsIdempotent) {
  using kernels::GemmElement;
  const std::vector<double> values = {1.0, -0.3, 0.123456789, 447.0, 1000.0, 0.25};
  for (GemmElement e : {GemmElement::F64, GemmElement::F32, GemmElement::F16, GemmElement::BF16,
                        GemmElement::E4M3}) {
    cuda::DeviceBuffer<double> dv(values.size());
    cuda::DeviceBuffer<unsigned char> typed(values.size() * kernels::gemm_element_size(e));
    dv.upload(values);
    GPUVAL_CUDA_CHECK(kernels::launch_quantize(e, dv.get(), typed.get(), values.size(), nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<double> once = dv.download();
    GPUVAL_CUDA_CHECK(kernels::launch_quantize(e, dv.get(), typed.get(), values.size(), nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    const std::vector<double> twice = dv.download();
    EXPECT_EQ(once, twice) << "element " << static_cast<int>(e);
    EXPECT_EQ(once[0], 1.0);
    EXPECT_EQ(once[5], 0.25);
    if (e == GemmElement::F16) {
      EXPECT_EQ(once[2], 0.12347412109375);
    }
    if (e == GemmElement::E4M3) {
      EXPECT_EQ(once[4], 448.0) << "E4M3 saturates";
    }
  }
}

TEST(Kernels, MemoryPatternsVerifyCleanAndCountInjectedFaults) {
  using kernels::MemoryPattern;
  const std::size_t words = 300'007;
  cuda::DeviceBuffer<std::uint64_t> buffer(words);
  cuda::DeviceBuffer<unsigned long long> counters(2);
  const std::uint64_t base = reinterpret_cast<std::uintptr_t>(buffer.get());
  for (MemoryPattern p :
       {MemoryPattern::WalkingOnes, MemoryPattern::AddressAsData, MemoryPattern::Random}) {
    for (bool inverted : {false, true}) {
      GPUVAL_CUDA_CHECK(
          kernels::launch_memory_pattern_write(buffer.get(), words, p, inverted, 99, nullptr));
      auto verify = [&] {
        const unsigned long long init[2] = {0ull, ~0ull};
        GPUVAL_CUDA_CHECK(cudaMemcpy(counters.get(), init, sizeof init, cudaMemcpyHostToDevice));
        GPUVAL_CUDA_CHECK(kernels::launch_memory_pattern_verify(buffer.get(), words, p, inverted,
                                                                99, counters.get(), nullptr));
        GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
        return counters.download();
      };
      EXPECT_EQ(verify()[0], 0u);
      // The host's idea of a word matches what the device wrote.
      std::uint64_t word = 0;
      GPUVAL_CUDA_CHECK(
          cudaMemcpy(&word, buffer.get() + 1234, sizeof word, cudaMemcpyDeviceToHost));
      EXPECT_EQ(word, kernels::memory_pattern_word(p, inverted, 1234, base, 99));
      for (std::size_t at : {std::size_t{5}, std::size_t{77'777}, words - 1}) {
        const std::uint64_t flipped = kernels::memory_pattern_word(p, inverted, at, base, 99) ^ 4u;
        GPUVAL_CUDA_CHECK(
            cudaMemcpy(buffer.get() + at, &flipped, sizeof flipped, cudaMemcpyHostToDevice));
      }
      const std::vector<unsigned long long> bad = verify();
      EXPECT_EQ(bad[0], 3u);
      EXPECT_EQ(bad[1], 5u);
    }
  }
}

TEST(Kernels, SaxpyUpdatesEveryElementAndAcceptsAnEmptyRange) {
  const std::size_t n = 100'003;
  const std::vector<float> x = random_floats(n, 4);
  const std::vector<float> y = random_floats(n, 5);
  const float a = -1.25f;
  cuda::DeviceBuffer<float> dx(n), dy(n);
  dx.upload(x);
  dy.upload(y);
  GPUVAL_CUDA_CHECK(kernels::launch_saxpy(a, dx.get(), dy.get(), n, nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> out = dy.download();
  std::vector<double> ref(n);
  for (std::size_t i = 0; i < n; ++i) ref[i] = static_cast<double>(a) * x[i] + y[i];
  // a * x + y with or without a fused multiply-add: within one float rounding of the exact value.
  const Comparison cmp = compare_to_reference(out.data(), ref.data(), n, 1e-6);
  EXPECT_TRUE(cmp.pass) << "rel " << cmp.rel_error << " bad " << cmp.bad_elements << " first "
                        << cmp.first_bad;
  // n == 0 queues nothing and is not an error.
  EXPECT_EQ(kernels::launch_saxpy(a, dx.get(), dy.get(), 0, nullptr), cudaSuccess);
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
}

// The STREAM kernels on a small array, with a grid smaller than the data (so the grid-stride loop
// runs several rounds), the benchmark's own grid, and one block. Each output is NaN-poisoned
// before its kernel and checked element by element after it.
TEST(Kernels, StreamKernelsWriteEveryElementForAnyGrid) {
  const std::size_t n = 2 * 50'021;  // even (16-byte vectors), not a multiple of the block
  int device = 0;
  GPUVAL_CUDA_CHECK(cudaGetDevice(&device));
  int chip_blocks = 0;
  GPUVAL_CUDA_CHECK(kernels::stream_grid_size(device, &chip_blocks));
  ASSERT_GT(chip_blocks, 0);
  const double s = 0.4;
  cuda::DeviceBuffer<double> da(n), db(n), dc(n);
  for (int blocks : {7, chip_blocks, 1}) {
    SCOPED_TRACE("blocks " + std::to_string(blocks));
    da.fill_bytes(0xFF);
    db.fill_bytes(0xFF);
    dc.fill_bytes(0xFF);
    GPUVAL_CUDA_CHECK(kernels::launch_stream_init(da.get(), db.get(), n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<double> a = da.download();
    std::vector<double> b = db.download();
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(a[i], kernels::stream_init_a(i)) << "a[" << i << "]";
      ASSERT_EQ(b[i], kernels::stream_init_b(i)) << "b[" << i << "]";
    }

    GPUVAL_CUDA_CHECK(kernels::launch_stream_copy(da.get(), dc.get(), n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<double> c = dc.download();
    EXPECT_EQ(c, a) << "copy: c = a";

    db.fill_bytes(0xFF);
    GPUVAL_CUDA_CHECK(kernels::launch_stream_scale(s, dc.get(), db.get(), n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    b = db.download();
    std::vector<double> ref(n);
    for (std::size_t i = 0; i < n; ++i) ref[i] = s * c[i];
    EXPECT_EQ(b, ref) << "scale: b = s * c (one rounding, bit-exact)";

    dc.fill_bytes(0xFF);
    GPUVAL_CUDA_CHECK(kernels::launch_stream_add(da.get(), db.get(), dc.get(), n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    c = dc.download();
    for (std::size_t i = 0; i < n; ++i) ref[i] = a[i] + b[i];
    EXPECT_EQ(c, ref) << "add: c = a + b (one rounding, bit-exact)";

    da.fill_bytes(0xFF);
    GPUVAL_CUDA_CHECK(
        kernels::launch_stream_triad(s, db.get(), dc.get(), da.get(), n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    a = da.download();
    for (std::size_t i = 0; i < n; ++i) ref[i] = b[i] + s * c[i];
    // b + s * c, fused or not: within an ulp or two.
    const Comparison triad = compare_to_reference(a.data(), ref.data(), n, 1e-15);
    EXPECT_TRUE(triad.pass) << "triad: a = b + s * c; rel " << triad.rel_error << " bad "
                            << triad.bad_elements << " first " << triad.first_bad;
  }
}

// The dot product's two stages: grids of one block, fewer blocks than the second stage's threads,
// and more (so the final block loops over the partials). The result is NaN-poisoned first.
TEST(Kernels, StreamDotSumsEveryProductForAnyGrid) {
  const std::size_t n = 2 * 30'011;
  cuda::DeviceBuffer<double> da(n), db(n);
  GPUVAL_CUDA_CHECK(kernels::launch_stream_init(da.get(), db.get(), n, 13, nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<double> a = da.download();
  const std::vector<double> b = db.download();
  double expected = 0.0;
  for (std::size_t i = 0; i < n; ++i) expected += a[i] * b[i];
  for (int blocks : {1, 100, 3 * kernels::kStreamBlockSize + 5}) {
    SCOPED_TRACE("blocks " + std::to_string(blocks));
    cuda::DeviceBuffer<double> partials(static_cast<std::size_t>(blocks)), result(1);
    partials.fill_bytes(0xFF);
    result.fill_bytes(0xFF);
    GPUVAL_CUDA_CHECK(kernels::launch_stream_dot(da.get(), db.get(), partials.get(), result.get(),
                                                 n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    const double got = result.download().front();
    // Another summation order: ~n ulps at worst, far under 1e-12 relative.
    EXPECT_NEAR(got, expected, 1e-12 * expected) << "dot of " << n << " elements";
    // The same grid gives the same bits (no atomics).
    result.fill_bytes(0xFF);
    GPUVAL_CUDA_CHECK(kernels::launch_stream_dot(da.get(), db.get(), partials.get(), result.get(),
                                                 n, blocks, nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    EXPECT_EQ(result.download().front(), got) << "dot is not deterministic for a fixed grid";
  }
}

// The empty kernel of the launch-latency benchmark: a batch of launches completes, leaves no
// error behind, and the events around it measure a positive time.
TEST(Kernels, EmptyKernelBatchCompletesWithoutError) {
  cuda::Stream stream;
  cuda::Event start, stop;
  start.record(stream.get());
  for (int i = 0; i < 100; ++i) GPUVAL_CUDA_CHECK(kernels::launch_empty(stream.get()));
  stop.record(stream.get());
  stop.synchronize();
  EXPECT_EQ(cudaStreamQuery(stream.get()), cudaSuccess);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess);
  EXPECT_GT(stop.elapsed_ms_since(start), 0.0f);
}

// The copy benchmarks' byte pattern: written over every byte of an odd-sized buffer, and the
// mismatch counter finds exactly the bytes that differ (the first one included), never more.
TEST(Kernels, BytePatternFillsEveryByteAndTheCounterFindsEachWrongOne) {
  const std::size_t n = 1'000'003;
  cuda::DeviceBuffer<unsigned char> buf(n);
  cuda::DeviceBuffer<unsigned long long> counters(2);
  auto count = [&](unsigned char salt) {
    counters.upload({0ull, ~0ull});
    GPUVAL_CUDA_CHECK(
        kernels::launch_count_byte_mismatches(buf.get(), n, salt, counters.get(), nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    return counters.download();
  };
  buf.fill_bytes(0x00);
  GPUVAL_CUDA_CHECK(
      kernels::launch_fill_byte_pattern(buf.get(), n, kernels::kPatternSalt, nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<unsigned char> got = buf.download();
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(got[i], kernels::byte_pattern(i, kernels::kPatternSalt)) << "byte " << i;
  }
  std::vector<unsigned long long> c = count(kernels::kPatternSalt);
  EXPECT_EQ(c[0], 0u);
  EXPECT_EQ(c[1], ~0ull);
  // Against the poison every byte differs.
  EXPECT_EQ(count(kernels::kPoisonSalt)[0], n);
  // Two wrong bytes: both counted, the first named.
  const unsigned char wrong[2] = {static_cast<unsigned char>(~got[4242]),
                                  static_cast<unsigned char>(~got[n - 1])};
  GPUVAL_CUDA_CHECK(cudaMemcpy(buf.get() + 4242, &wrong[0], 1, cudaMemcpyHostToDevice));
  GPUVAL_CUDA_CHECK(cudaMemcpy(buf.get() + n - 1, &wrong[1], 1, cudaMemcpyHostToDevice));
  c = count(kernels::kPatternSalt);
  EXPECT_EQ(c[0], 2u);
  EXPECT_EQ(c[1], 4242u);
}

// The STREAM outputs' device check: clean results pass for every op, a NaN (the poison) and a
// value off by more than the tolerance are counted, the first index reported.
TEST(Kernels, StreamCheckCountsExactlyTheWrongElements) {
  const std::size_t n = 2 * 40'009;
  const double s = 0.4;
  cuda::DeviceBuffer<double> out(n);
  cuda::DeviceBuffer<unsigned long long> counters(2);
  auto check = [&](kernels::StreamResult op, double tolerance) {
    counters.upload({0ull, ~0ull});
    GPUVAL_CUDA_CHECK(
        kernels::launch_stream_check(op, s, out.get(), n, tolerance, counters.get(), nullptr));
    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
    return counters.download();
  };
  for (kernels::StreamResult op : {kernels::StreamResult::Copy, kernels::StreamResult::Scale,
                                   kernels::StreamResult::Add, kernels::StreamResult::Triad}) {
    std::vector<double> host(n);
    for (std::size_t i = 0; i < n; ++i) host[i] = kernels::stream_expected(op, s, i);
    out.upload(host);
    std::vector<unsigned long long> c = check(op, op == kernels::StreamResult::Copy ? 0 : 1e-15);
    EXPECT_EQ(c[0], 0u) << static_cast<int>(op);
    host[777] = std::nan("");
    host[n - 2] *= 1.0 + 1e-12;
    out.upload(host);
    c = check(op, 1e-15);
    EXPECT_EQ(c[0], 2u) << static_cast<int>(op);
    EXPECT_EQ(c[1], 777u) << static_cast<int>(op);
  }
  out.fill_bytes(0xFF);  // the poison alone: every element wrong
  EXPECT_EQ(check(kernels::StreamResult::Copy, 0)[0], n);
}

}  // namespace
}  // namespace gpuval
