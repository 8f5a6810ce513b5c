// The host side of the probe modules' benchmarks, without a GPU: the random operands, the
// sampled positions, the 16-bit decoders, and the C ABI glue around a session
// (probes/bench_glue.hpp) with a stand-in session.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "probes/bench_glue.hpp"
#include "probes/bench_operands.hpp"

namespace gpuval::probes {
namespace {

using nlohmann::json;

TEST(BenchOperands, ValuesAreNeverZeroAndStayInRange) {
  const std::uint64_t key = operand_key(42, 0);
  int negative = 0;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const double v = operand_value(key, i);
    ASSERT_GE(std::fabs(v), 0.25) << i;
    ASSERT_LT(std::fabs(v), 1.0) << i;
    if (v < 0) ++negative;
  }
  // Random signs: about half negative (binomial sd ~158).
  EXPECT_NEAR(negative, 50000, 1000);
}

// The value function is exact by construction (kernels/operand_rng.hpp): (2^51 + 3m) 2^-53 for
// the top 51 bits m of the hash, so host and device compute the same bits whatever the compiler
// contracts.
TEST(BenchOperands, ValuesAreTheExactGridPoints) {
  const std::uint64_t key = operand_key(5, 1);
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const std::uint64_t z = splitmix64(key + i * 0xD1B54A32D192ED03ull);
    const std::uint64_t m = z >> 13;
    const double exact = std::ldexp(static_cast<double>((std::uint64_t{1} << 51) + 3 * m), -53);
    ASSERT_EQ(std::fabs(operand_value(key, i)), exact) << i;
    ASSERT_EQ(operand_value(key, i) < 0, (z & 1u) != 0) << i;
  }
  static_assert(operand_value(1, 2) == operand_value(1, 2), "usable in constant expressions");
}

TEST(BenchOperands, SameKeyAndIndexGiveTheSameValueOtherKeysOthers) {
  EXPECT_EQ(operand_value(operand_key(7, 0), 12345), operand_value(operand_key(7, 0), 12345));
  EXPECT_NE(operand_value(operand_key(7, 0), 12345), operand_value(operand_key(7, 1), 12345));
  EXPECT_NE(operand_value(operand_key(7, 0), 12345), operand_value(operand_key(8, 0), 12345));
  EXPECT_NE(operand_value(operand_key(7, 0), 1), operand_value(operand_key(7, 0), 2));
}

TEST(BenchOperands, SampleIndicesAreDistinctSortedAndIncludeBothEdges) {
  const auto rows = sample_indices(8192, 16, 99);
  ASSERT_EQ(rows.size(), 16u);
  EXPECT_EQ(rows.front(), 0);
  EXPECT_EQ(rows.back(), 8191);
  EXPECT_EQ(std::set<std::int64_t>(rows.begin(), rows.end()).size(), 16u);
  EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end()));
  EXPECT_EQ(sample_indices(8192, 16, 99), rows) << "deterministic for a key";
  EXPECT_NE(sample_indices(8192, 16, 100), rows);
}

TEST(BenchOperands, SampleIndicesOfASmallDimensionAreAllOfThem) {
  EXPECT_EQ(sample_indices(5, 16, 1), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sample_indices(16, 16, 1).size(), 16u);
  EXPECT_TRUE(sample_indices(0, 16, 1).empty());
  EXPECT_EQ(sample_indices(10, 1, 1), (std::vector<std::int64_t>{0}));
}

TEST(BenchOperands, HalfBitsDecode) {
  EXPECT_EQ(half_bits_to_double(0x3C00), 1.0);
  EXPECT_EQ(half_bits_to_double(0xC000), -2.0);
  EXPECT_EQ(half_bits_to_double(0x3555), 0.333251953125);
  EXPECT_EQ(half_bits_to_double(0x7BFF), 65504.0);
  EXPECT_EQ(half_bits_to_double(0x0001), std::ldexp(1.0, -24));  // smallest subnormal
  EXPECT_EQ(half_bits_to_double(0x0400), std::ldexp(1.0, -14));  // smallest normal
  EXPECT_EQ(half_bits_to_double(0x8000), 0.0);
  EXPECT_TRUE(std::isinf(half_bits_to_double(0x7C00)));
  EXPECT_TRUE(std::isnan(half_bits_to_double(0xFFFF))) << "the poison pattern is NaN";
}

TEST(BenchOperands, Bf16BitsDecode) {
  EXPECT_EQ(bf16_bits_to_double(0x3F80), 1.0);
  EXPECT_EQ(bf16_bits_to_double(0xC040), -3.0);
  EXPECT_EQ(bf16_bits_to_double(0x3E80), 0.25);
  EXPECT_TRUE(std::isnan(bf16_bits_to_double(0xFFFF))) << "the poison pattern is NaN";
}

// A session that records its calls and fails where told.
class StandInSession final : public BenchSession {
 public:
  explicit StandInSession(bool fail_start, bool fail_finish)
      : fail_start_(fail_start), fail_finish_(fail_finish) {}
  void start(int iterations, int) override {
    if (fail_start_) throw std::runtime_error("start went wrong");
    iterations_ = iterations;
  }
  json finish() override {
    if (fail_finish_) throw std::runtime_error("finish went wrong");
    return {{"status", "PASS"}, {"time_ms", 1.5}, {"iterations", iterations_}, {"verified", true}};
  }

 private:
  bool fail_start_, fail_finish_;
  int iterations_ = 0;
};

gpuval_probe_bench_request request() {
  gpuval_probe_bench_request r{};
  r.struct_size = sizeof(r);
  r.op = GPUVAL_BENCH_OP_GEMM;
  r.precision = "bf16";
  return r;
}

struct Text {
  explicit Text(char* t) : text(t) {}
  ~Text() { std::free(text); }
  json parsed() const { return json::parse(text); }
  char* text;
};

TEST(BenchGlue, ReadySessionRunsABatch) {
  gpuval_probe_bench* session = nullptr;
  const gpuval_probe_bench_request r = request();
  Text opened(open_bench("test", &r, &session, [](const gpuval_probe_bench_request&, json& out) {
    out["problem"] = {{"m", 1}};
    return std::make_unique<StandInSession>(false, false);
  }));
  EXPECT_EQ(opened.parsed()["status"], "READY");
  EXPECT_EQ(opened.parsed()["probe"], "test");
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(start_bench(session, 7, 2), 0);
  Text done(finish_bench(session));
  EXPECT_EQ(done.parsed()["iterations"], 7);
  EXPECT_EQ(done.parsed()["verified"], true);
  close_bench(session);
}

TEST(BenchGlue, SkipHandsOutNoSession) {
  gpuval_probe_bench* session = reinterpret_cast<gpuval_probe_bench*>(&session);  // garbage in
  const gpuval_probe_bench_request r = request();
  Text opened(open_bench("test", &r, &session, [](const gpuval_probe_bench_request&, json& out) {
    out["status"] = "SKIP";
    out["reason"] = "needs 9 GiB";
    return std::unique_ptr<BenchSession>();
  }));
  EXPECT_EQ(opened.parsed()["status"], "SKIP");
  EXPECT_EQ(opened.parsed()["reason"], "needs 9 GiB");
  EXPECT_EQ(session, nullptr);
}

TEST(BenchGlue, AnExceptionWhilePreparingIsAFailWithItsText) {
  gpuval_probe_bench* session = nullptr;
  const gpuval_probe_bench_request r = request();
  Text opened(
      open_bench("test", &r, &session,
                 [](const gpuval_probe_bench_request&, json&) -> std::unique_ptr<BenchSession> {
                   throw std::invalid_argument("bad shape");
                 }));
  EXPECT_EQ(opened.parsed()["status"], "FAIL");
  EXPECT_EQ(opened.parsed()["error"]["description"], "bad shape");
  EXPECT_EQ(session, nullptr);
}

TEST(BenchGlue, NoSessionAndNoSkipIsAFail) {
  gpuval_probe_bench* session = nullptr;
  const gpuval_probe_bench_request r = request();
  Text opened(open_bench("test", &r, &session, [](const gpuval_probe_bench_request&, json&) {
    return std::unique_ptr<BenchSession>();
  }));
  EXPECT_EQ(opened.parsed()["status"], "FAIL");
  EXPECT_TRUE(opened.parsed()["error"].is_object());
}

TEST(BenchGlue, AnOlderOrNullRequestIsRefused) {
  gpuval_probe_bench* session = nullptr;
  gpuval_probe_bench_request r = request();
  r.struct_size = 8;
  auto never = [](const gpuval_probe_bench_request&, json&) -> std::unique_ptr<BenchSession> {
    ADD_FAILURE() << "must not be called";
    return nullptr;
  };
  Text old(open_bench("test", &r, &session, never));
  EXPECT_EQ(old.parsed()["status"], "FAIL");
  Text null(open_bench("test", nullptr, &session, never));
  EXPECT_EQ(null.parsed()["status"], "FAIL");
  EXPECT_EQ(session, nullptr);
}

TEST(BenchGlue, AFailedStartIsReportedByFinish) {
  auto handle = std::make_unique<gpuval_probe_bench>();
  handle->session = std::make_unique<StandInSession>(true, false);
  EXPECT_NE(start_bench(handle.get(), 5, 2), 0);
  Text done(finish_bench(handle.get()));
  EXPECT_EQ(done.parsed()["status"], "FAIL");
  EXPECT_EQ(done.parsed()["verified"], false);
  EXPECT_EQ(done.parsed()["error"]["description"], "start went wrong");
}

TEST(BenchGlue, BadBatchArgumentsAndFinishWithoutStartAreErrors) {
  auto handle = std::make_unique<gpuval_probe_bench>();
  handle->session = std::make_unique<StandInSession>(false, false);
  EXPECT_NE(start_bench(handle.get(), 0, 2), 0);
  EXPECT_NE(start_bench(handle.get(), 5, -1), 0);
  Text bad(finish_bench(handle.get()));
  EXPECT_NE(bad.parsed()["error"]["description"].get<std::string>().find("iterations"),
            std::string::npos);
  Text unstarted(finish_bench(handle.get()));
  EXPECT_NE(unstarted.parsed()["error"]["description"].get<std::string>().find("without"),
            std::string::npos);
  EXPECT_NE(start_bench(nullptr, 5, 2), 0);
  Text null(finish_bench(nullptr));
  EXPECT_EQ(null.parsed()["status"], "FAIL");
  close_bench(nullptr);  // allowed
}

TEST(BenchGlue, AnExceptionInFinishIsAFailNotACrash) {
  auto handle = std::make_unique<gpuval_probe_bench>();
  handle->session = std::make_unique<StandInSession>(false, true);
  EXPECT_EQ(start_bench(handle.get(), 3, 0), 0);
  Text done(finish_bench(handle.get()));
  EXPECT_EQ(done.parsed()["status"], "FAIL");
  EXPECT_EQ(done.parsed()["verified"], false);
  EXPECT_EQ(done.parsed()["error"]["description"], "finish went wrong");
}

TEST(ProbeAbi, BenchFunctionsNeedTheStructSizeThatCoversThem) {
  gpuval_probe_module m{};
  m.abi_version = GPUVAL_PROBE_ABI_VERSION;
  m.bench_open = [](const gpuval_probe_bench_request*, gpuval_probe_bench**) -> char* {
    return nullptr;
  };
  m.bench_start = [](gpuval_probe_bench*, int32_t, int32_t) -> int32_t { return 0; };
  m.bench_finish = [](gpuval_probe_bench*) -> char* { return nullptr; };
  m.bench_close = [](gpuval_probe_bench*) {};
  m.struct_size = static_cast<uint32_t>(sizeof(m));
  EXPECT_NE(gpuval_probe_module_has_bench(&m), 0);
  m.struct_size = static_cast<uint32_t>(GPUVAL_PROBE_MODULE_BASE_SIZE);
  EXPECT_EQ(gpuval_probe_module_has_bench(&m), 0) << "an older module's pointers are not read";
  m.struct_size = static_cast<uint32_t>(sizeof(m));
  m.bench_close = nullptr;
  EXPECT_EQ(gpuval_probe_module_has_bench(&m), 0);
  EXPECT_EQ(gpuval_probe_module_has_bench(nullptr), 0);
  // The base size is the first ABI 1 layout: five fields, up to free_result.
  EXPECT_EQ(GPUVAL_PROBE_MODULE_BASE_SIZE,
            offsetof(gpuval_probe_module, free_result) + sizeof(m.free_result));
}

}  // namespace
}  // namespace gpuval::probes
