// cuda-compute: a kernel on random data into a NaN-poisoned output, checked element by element
// (bit-exact: a fused multiply-add rounds once everywhere) and by an on-device checksum.
// ptx-jit: PTX text loaded at run time (cudaLibraryLoadData: the driver's JIT compiles it for
// this GPU) and run, checked the same way. Both on every device.
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/cuda_error.hpp"
#include "core/cuda_raii.hpp"
#include "core/numeric_compare.hpp"
#include "kernels/sanity.cuh"
#include "validate/checks.hpp"
#include "validate/gpu/gpu_checks.hpp"
#include "validate/gpu/gpu_outcome.hpp"

namespace gpuval::checks {
namespace {

constexpr std::size_t kComputeElements = std::size_t{1} << 22;  // 16 MiB per array
constexpr unsigned kPtxElements = 1u << 20;
constexpr unsigned kPtxBlock = 256;

// Hand-written PTX at ISA 6.0 for sm_50, so any driver of the last years JITs it for any GPU it
// supports: this check is about the JIT path (libnvidia-ptxjitcompiler) working, not about the
// PTX version gpuval's toolkit emits (cuda-compat covers that).
constexpr const char* kPtx = R"PTX(
.version 6.0
.target sm_50
.address_size 64

.visible .entry gpuval_ptx_fma(
	.param .u64 gpuval_ptx_fma_x,
	.param .u64 gpuval_ptx_fma_y,
	.param .u64 gpuval_ptx_fma_out,
	.param .f32 gpuval_ptx_fma_a,
	.param .u32 gpuval_ptx_fma_n
)
{
	.reg .pred 	%p<2>;
	.reg .f32 	%f<5>;
	.reg .b32 	%r<6>;
	.reg .b64 	%rd<11>;

	ld.param.u64 	%rd1, [gpuval_ptx_fma_x];
	ld.param.u64 	%rd2, [gpuval_ptx_fma_y];
	ld.param.u64 	%rd3, [gpuval_ptx_fma_out];
	ld.param.f32 	%f1, [gpuval_ptx_fma_a];
	ld.param.u32 	%r2, [gpuval_ptx_fma_n];
	mov.u32 	%r3, %ctaid.x;
	mov.u32 	%r4, %ntid.x;
	mov.u32 	%r5, %tid.x;
	mad.lo.s32 	%r1, %r3, %r4, %r5;
	setp.ge.u32 	%p1, %r1, %r2;
	@%p1 bra 	DONE;
	cvta.to.global.u64 	%rd4, %rd1;
	mul.wide.u32 	%rd5, %r1, 4;
	add.s64 	%rd6, %rd4, %rd5;
	cvta.to.global.u64 	%rd7, %rd2;
	add.s64 	%rd8, %rd7, %rd5;
	ld.global.f32 	%f2, [%rd8];
	ld.global.f32 	%f3, [%rd6];
	fma.rn.f32 	%f4, %f1, %f3, %f2;
	cvta.to.global.u64 	%rd9, %rd3;
	add.s64 	%rd10, %rd9, %rd5;
	st.global.f32 	[%rd10], %f4;
DONE:
	ret;
}
)PTX";

struct FmaInputs {
  float a = 0.0f;
  std::vector<float> x;
  std::vector<float> y;
  std::vector<float> expected;  // std::fma on the host: one rounding, like the device
};

FmaInputs make_inputs(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  FmaInputs in;
  in.a = 0.5f + value(rng) * 0.25f;  // never 0: the result must depend on x
  in.x.resize(n);
  in.y.resize(n);
  in.expected.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Reject exact zeros so an unwritten or zeroed output can never look right.
    do in.x[i] = value(rng);
    while (in.x[i] == 0.0f);
    do in.y[i] = value(rng);
    while (in.y[i] == 0.0f);
    in.expected[i] = std::fma(in.a, in.x[i], in.y[i]);
  }
  return in;
}

std::uint64_t bit_checksum(const std::vector<float>& v) {
  std::uint64_t sum = 0;
  for (float f : v) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    sum += bits;
  }
  return sum;
}

void corrupt_first_half(std::vector<float>& out) {
  // One element flipped in sign: a gross, single-element fault the check must catch.
  out[out.size() / 2 + 3] = -out[out.size() / 2 + 3];
}

DeviceOutcome judge(int device, const char* what, const ExactComparison& c,
                    std::uint64_t device_checksum, std::uint64_t host_checksum,
                    nlohmann::json metrics) {
  DeviceOutcome o;
  o.device = device;
  metrics["elements"] = c.count;
  metrics["mismatches"] = c.mismatches;
  if (!c.pass) {
    o.status = Status::Fail;
    o.message = std::string(what) + ": " + std::to_string(c.mismatches) + " of " +
                std::to_string(c.count) + " elements wrong (first at [" +
                std::to_string(c.first_bad) + "]: got " + std::to_string(c.first_bad_value) +
                ", expected " + std::to_string(c.first_bad_expected) + ")";
    o.hint =
        "the GPU computed wrong results: check `nvidia-smi -q -d ECC` and `dmesg` on the host for "
        "Xid errors, rerun, and drain the GPU if it repeats";
    metrics["first_bad"] = c.first_bad;
  } else if (device_checksum != host_checksum) {
    // Every element right but the in-kernel reduction disagrees: shared memory or atomics.
    o.status = Status::Fail;
    o.message = std::string(what) + ": elements right but the on-device checksum is wrong (" +
                std::to_string(device_checksum) + " vs " + std::to_string(host_checksum) + ")";
    o.hint =
        "shared-memory reduction or atomics misbehave on this GPU: check `dmesg` for Xid "
        "errors and drain the GPU if it repeats";
  } else {
    o.status = Status::Pass;
    o.message = std::string(what) + " bit-exact on " + std::to_string(c.count) + " random floats";
  }
  o.metrics = std::move(metrics);
  return o;
}

DeviceOutcome compute_on(int device, std::uint64_t seed, bool corrupt) {
  cuda::DeviceScope scope(device);
  const FmaInputs in = make_inputs(kComputeElements, seed + static_cast<std::uint64_t>(device));
  cuda::DeviceBuffer<float> x(in.x.size());
  cuda::DeviceBuffer<float> y(in.y.size());
  cuda::DeviceBuffer<float> out(in.x.size());
  cuda::DeviceBuffer<unsigned long long> checksum(1);
  x.upload(in.x);
  y.upload(in.y);
  out.fill_bytes(0xFF);  // NaN: an element the kernel did not write fails
  checksum.fill_bytes(0);
  GPUVAL_CUDA_CHECK(kernels::launch_fma_checksum(in.a, x.get(), y.get(), out.get(), out.size(),
                                                 checksum.get(), nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> result = out.download();
  const unsigned long long device_sum = checksum.download().front();
  if (corrupt) corrupt_first_half(result);
  const ExactComparison c = compare_exact(result.data(), in.expected.data(), result.size());
  return judge(device, "fma kernel", c, device_sum, bit_checksum(in.expected), {{"seed", seed}});
}

// cudaLibrary_t owner (the PTX module).
class LoadedLibrary {
 public:
  explicit LoadedLibrary(const char* ptx) {
    std::vector<char> log(4096, '\0');
    cudaJitOption options[] = {cudaJitErrorLogBuffer, cudaJitErrorLogBufferSizeBytes};
    void* values[] = {log.data(), reinterpret_cast<void*>(static_cast<std::uintptr_t>(log.size()))};
    const cudaError_t rc =
        cudaLibraryLoadData(&library_, ptx, options, values, 2, nullptr, nullptr, 0);
    if (rc != cudaSuccess) {
      std::string description = cudaGetErrorString(rc);
      if (log[0] != '\0') description += "; JIT log: " + std::string(log.data());
      throw CudaError(CudaLibrary::Runtime, static_cast<int>(rc), cudaGetErrorName(rc), description,
                      "cudaLibraryLoadData(ptx)", __FILE__, __LINE__);
    }
  }
  ~LoadedLibrary() {
    if (library_ != nullptr) (void)cudaLibraryUnload(library_);
  }
  LoadedLibrary(const LoadedLibrary&) = delete;
  LoadedLibrary& operator=(const LoadedLibrary&) = delete;
  LoadedLibrary(LoadedLibrary&&) = delete;
  LoadedLibrary& operator=(LoadedLibrary&&) = delete;

  cudaLibrary_t get() const noexcept { return library_; }

 private:
  cudaLibrary_t library_ = nullptr;
};

DeviceOutcome ptx_on(int device, std::uint64_t seed, bool corrupt) {
  cuda::DeviceScope scope(device);
  GPUVAL_CUDA_CHECK(cudaFree(nullptr));  // create the context before loading the library
  const LoadedLibrary library(kPtx);
  cudaKernel_t kernel = nullptr;
  GPUVAL_CUDA_CHECK(cudaLibraryGetKernel(&kernel, library.get(), "gpuval_ptx_fma"));

  const FmaInputs in = make_inputs(kPtxElements, seed + 7919u * static_cast<std::uint64_t>(device));
  cuda::DeviceBuffer<float> x(in.x.size());
  cuda::DeviceBuffer<float> y(in.y.size());
  cuda::DeviceBuffer<float> out(in.x.size());
  x.upload(in.x);
  y.upload(in.y);
  out.fill_bytes(0xFF);
  const float* x_ptr = x.get();
  const float* y_ptr = y.get();
  float* out_ptr = out.get();
  float a = in.a;
  unsigned n = kPtxElements;
  void* args[] = {&x_ptr, &y_ptr, &out_ptr, &a, &n};
  const dim3 grid((kPtxElements + kPtxBlock - 1) / kPtxBlock);
  const dim3 block(kPtxBlock);
  // A cudaKernel_t may stand in for the function pointer (CUDA runtime docs, cudaLaunchKernel).
  GPUVAL_CUDA_CHECK(
      cudaLaunchKernel(reinterpret_cast<const void*>(kernel), grid, block, args, 0, nullptr));
  GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> result = out.download();
  if (corrupt) corrupt_first_half(result);
  const ExactComparison c = compare_exact(result.data(), in.expected.data(), result.size());
  // The PTX kernel has no checksum of its own: the element-by-element check is the whole test.
  const std::uint64_t expected_sum = bit_checksum(in.expected);
  return judge(device, "JIT-compiled PTX kernel", c, expected_sum, expected_sum,
               {{"seed", seed}, {"ptx_isa", "6.0"}, {"ptx_target", "sm_50"}});
}

}  // namespace

CheckResult run_cuda_compute(const Context&, Facts& facts, const GpuCheckOptions& options) {
  if (gpu_unusable(facts)) return skip_no_gpu();
  const std::uint64_t seed = pick_seed(options.seed);
  auto outcomes = for_each_device(
      facts, [&](int d) { return compute_on(d, seed, options.corrupt_one_element); });
  return roll_up(outcomes);
}

CheckResult run_ptx_jit(const Context&, Facts& facts, const GpuCheckOptions& options) {
  if (gpu_unusable(facts)) return skip_no_gpu();
  const std::uint64_t seed = pick_seed(options.seed);
  auto outcomes =
      for_each_device(facts, [&](int d) { return ptx_on(d, seed, options.corrupt_one_element); });
  return roll_up(outcomes);
}

CheckResult cuda_compute(const Context& ctx, Facts& facts) {
  return run_cuda_compute(ctx, facts, GpuCheckOptions{});
}

CheckResult ptx_jit(const Context& ctx, Facts& facts) {
  return run_ptx_jit(ctx, facts, GpuCheckOptions{});
}

}  // namespace gpuval::checks
