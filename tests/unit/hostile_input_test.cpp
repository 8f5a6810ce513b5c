// Regression tests for inputs that once crashed a reader, or would have: each one a named bad
// input (DocumentError, a report BadFile, a history BadInput), never an escaping exception. The
// fuzz targets in tests/fuzz/ found most of them; each test says which.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/run_document.hpp"
#include "core/sysroot.hpp"
#include "history/inputs.hpp"
#include "report/json_reader.hpp"
#include "report/summary.hpp"
#include "report/summary_internal.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/history_test_docs.hpp"
#include "validate/gpu/probe_outcome.hpp"
#include "validate/parsers/proc_parse.hpp"
#include "validate/registry.hpp"

namespace gpuval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A valid run document (history's test document) with `text` in place of its first sample.
std::string with_first_sample(const std::string& text) {
  std::string doc = history::testing::make_doc({}).dump(1);
  const std::size_t samples = doc.find("\"samples\"");
  const std::size_t open = doc.find('[', samples);
  const std::size_t comma = doc.find(',', open);
  return doc.substr(0, open + 1) + text + doc.substr(comma);
}

std::string parse_error(const std::string& text) {
  try {
    parse_run_document(text, "doc.json");
  } catch (const DocumentError& e) {
    return e.what();
  }
  return "";
}

// --- a number outside the range of a double (issue 15: 54 mutated documents aborted compare,
// report and history add with nlohmann's out_of_range 406) ---------------------------------------

TEST(HostileInput, NumberBeyondDoubleRangeIsABadDocumentNotAnAbort) {
  const std::string msg = parse_error(with_first_sample("3006.3e99976665"));
  EXPECT_NE(msg.find("doc.json: malformed JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3006.3e99976665"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("json.exception"), std::string::npos) << msg;
}

TEST(HostileInput, NumberBeyondDoubleRangeIsAReportBadFile) {
  testing::FixtureTree tree;
  tree.write("/runs/overflow.json", with_first_sample("3006.3e99976665"));
  tree.write("/runs/good.json", history::testing::make_doc({.night = 1}).dump());
  const report::LoadResult r = report::load_runs({tree.root() / "runs"});
  EXPECT_EQ(r.runs.size(), 1u);
  ASSERT_EQ(r.bad.size(), 1u);
  EXPECT_TRUE(r.bad[0].path.ends_with("overflow.json")) << r.bad[0].path;
  EXPECT_NE(r.bad[0].reason.find("number overflow"), std::string::npos) << r.bad[0].reason;
}

TEST(HostileInput, NumberBeyondDoubleRangeIsAHistoryBadInput) {
  testing::FixtureTree tree;
  tree.write("/in/overflow.json", with_first_sample("-1E400"));
  tree.write("/in/good.json", history::testing::make_doc({.night = 1}).dump());
  const history::Inputs in = history::collect_documents({(tree.root() / "in").string()});
  EXPECT_EQ(in.documents.size(), 1u);
  ASSERT_EQ(in.bad.size(), 1u);
  EXPECT_TRUE(in.bad[0].path.ends_with("overflow.json")) << in.bad[0].path;
  EXPECT_NE(in.bad[0].reason.find("number overflow"), std::string::npos) << in.bad[0].reason;
}

// --- the two JSON parsers disagreeing (fuzz target json_differential) ---------------------------

// Whether the report's pull parser takes `text` as one JSON value.
bool reader_accepts(std::string_view text) {
  try {
    report::JsonReader r(text);
    r.skip();
    r.end();
    return true;
  } catch (const report::JsonSyntaxError&) {
    return false;
  }
}

bool nlohmann_accepts(std::string_view text) {
  try {
    parse_json_text(text, "t.json");
    return true;
  } catch (const DocumentError&) {
    return false;
  }
}

TEST(HostileInput, BothParsersTakeNumbersThatUnderflowToZero) {
  // from_chars calls 1e-400 out of range; nlohmann (strtod) reads 0. The report listed such a
  // document as bad ("nested deeper than 256 levels") while compare and history took it.
  for (const char* text : {"[1e-400]", "{\"a\": -2.5e-999}", "4e-320"}) {
    EXPECT_TRUE(nlohmann_accepts(text)) << text;
    EXPECT_TRUE(reader_accepts(text)) << text;
    EXPECT_EQ(report::JsonReader(text).value().dump(), parse_json_text(text, "t").dump()) << text;
  }
}

TEST(HostileInput, BothParsersRefuseOverflowingNumbersEvenWhereTheReportSkips) {
  // The report skipped (did not convert) numbers it does not need: 1e999 in check metrics was
  // accepted by the report and refused by compare and history.
  for (const char* text : {"[1e999]", "{\"metrics\": {\"x\": -1E+400}}"}) {
    EXPECT_FALSE(nlohmann_accepts(text)) << text;
    EXPECT_FALSE(reader_accepts(text)) << text;
  }
  std::string big_integer(400, '9');
  EXPECT_FALSE(nlohmann_accepts(big_integer));
  EXPECT_FALSE(reader_accepts(big_integer));
}

TEST(HostileInput, BothParsersRefuseANulByteAfterTheDocument) {
  // nlohmann takes a NUL byte as the end of the text: "{}<NUL>garbage" parsed.
  const std::string text("{}\0garbage", 10);
  EXPECT_FALSE(nlohmann_accepts(text));
  EXPECT_FALSE(reader_accepts(text));
}

TEST(HostileInput, BothParsersRefuseTheSameNestingDepth) {
  const auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(nlohmann_accepts(nested(kMaxJsonDepth)));
  EXPECT_TRUE(reader_accepts(nested(kMaxJsonDepth)));
  EXPECT_FALSE(nlohmann_accepts(nested(kMaxJsonDepth + 1)));
  EXPECT_FALSE(reader_accepts(nested(kMaxJsonDepth + 1)));
  // Deep enough to overflow the stack in a recursive copy or dump: refused, not a crash.
  const std::string msg = parse_error(nested(1'000'000));
  EXPECT_NE(msg.find("nested deeper than 256 levels"), std::string::npos) << msg;
}

TEST(HostileInput, AnExitCodeBeyondInt64IsNotAnIntegerToEitherReader) {
  // 99999999999999999999 is a float to nlohmann (validate_run_document refuses it); the report
  // took it as an integer exit code.
  json doc = history::testing::make_doc({});
  std::string text = doc.dump();
  const std::string code = "\"exit_code\":" + doc["verdict"]["exit_code"].dump();
  text.replace(text.find(code), code.size(), "\"exit_code\":99999999999999999999");
  EXPECT_NE(parse_error(text).find("\"verdict.exit_code\" must be an integer"), std::string::npos);
  try {
    report::read_run_summary(text, "x.json");
    FAIL() << "the report took an exit code validate_run_document refuses";
  } catch (const DocumentError& e) {
    EXPECT_NE(std::string(e.what()).find("must be an integer"), std::string::npos) << e.what();
  }
}

TEST(HostileInput, ARepeatedMemberReplacesTheEarlierOneInBothReaders) {
  // Found by the json_differential fuzzer: nlohmann keeps the last of repeated members, the
  // report's reader appended a repeated "samples" (median 2.05 of both arrays instead of 2.1),
  // listed a device's repeated "uuid" twice and kept a repeated section's earlier fields (the
  // driver version of a first "driver" when the second had none).
  json doc = history::testing::make_doc({});
  json& bench = doc["benchmarks"][0];
  bench.erase("median");
  bench["samples"] = {2.1, 2.2, 2.0};
  doc["devices"][0]["uuid"] = "GPU-last";
  std::string text = doc.dump();
  const std::string samples = "\"samples\":[2.1,2.2,2.0]";
  ASSERT_NE(text.find(samples), std::string::npos);
  text.replace(text.find(samples), samples.size(), "\"samples\":[1.0,2.0,3.0]," + samples);
  const std::string uuid = "\"uuid\":\"GPU-last\"";
  text.replace(text.find(uuid), uuid.size(), "\"uuid\":\"GPU-first\"," + uuid);
  const std::string driver = "\"driver\":" + doc["driver"].dump();
  ASSERT_NE(text.find(driver), std::string::npos);
  text.replace(text.find(driver), driver.size(), driver + ",\"driver\":{\"note\":\"x\"}");

  const json dom = parse_json_text(text, "t.json");
  const report::RunSummary from_dom = report::summarize(dom, "t.json");
  const report::TextReading from_text = report::read_run_summary(text, "t.json");
  ASSERT_EQ(from_text.kind, report::TextReading::Kind::kRun);
  ASSERT_FALSE(from_dom.benchmarks.empty());
  ASSERT_TRUE(from_dom.benchmarks[0].median.has_value());
  EXPECT_DOUBLE_EQ(*from_dom.benchmarks[0].median, 2.1);
  ASSERT_TRUE(from_text.run.benchmarks[0].median.has_value());
  EXPECT_DOUBLE_EQ(*from_text.run.benchmarks[0].median, 2.1);
  EXPECT_EQ(from_text.run.gpu_uuids, from_dom.gpu_uuids);
  EXPECT_EQ(from_text.run.driver, from_dom.driver);
  EXPECT_NE(from_text.run.driver, doc["driver"]["version"].get<std::string>());
  EXPECT_EQ(std::count(from_text.run.gpu_uuids.begin(), from_text.run.gpu_uuids.end(), "GPU-first"),
            0);
}

// --- oversized and special files: refused unread, memory stays bounded --------------------------

// A sparse file: 1 GiB long, no disk used.
fs::path sparse_file(const testing::FixtureTree& tree, std::string_view rel, off_t size) {
  const fs::path p = tree.root() / fs::path(rel).relative_path();
  fs::create_directories(p.parent_path());
  const std::string start = R"({"schema": "gpuval.run/1", "pad": ")";
  FILE* f = std::fopen(p.c_str(), "w");
  std::fwrite(start.data(), 1, start.size(), f);
  std::fclose(f);
  if (::truncate(p.c_str(), size) != 0) ADD_FAILURE() << "truncate " << p;
  return p;
}

TEST(HostileInput, AGigabyteDocumentIsRefusedUnreadNamingTheLimit) {
  testing::FixtureTree tree;
  const fs::path big = sparse_file(tree, "/runs/big.json", off_t{1} << 30);
  try {
    read_run_document(big);
    FAIL() << "expected DocumentError";
  } catch (const DocumentError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("big.json: the file (1073741824 bytes) is larger than the 16 MiB"),
              std::string::npos)
        << msg;
  }
  const report::LoadResult r = report::load_runs({tree.root() / "runs"});
  ASSERT_EQ(r.bad.size(), 1u);
  EXPECT_NE(r.bad[0].reason.find("larger than the 16 MiB"), std::string::npos) << r.bad[0].reason;
  const history::Inputs in = history::collect_documents({big.string()});
  ASSERT_EQ(in.bad.size(), 1u);
  EXPECT_NE(in.bad[0].reason.find("larger than the 16 MiB"), std::string::npos) << in.bad[0].reason;
}

TEST(HostileInput, ADocumentJustUnderTheLimitIsRead) {
  testing::FixtureTree tree;
  std::string doc = history::testing::make_doc({}).dump();
  doc.insert(doc.size() - 1,
             ", \"pad\": \"" + std::string(kMaxDocumentBytes - doc.size() - 11, 'x') + "\"");
  ASSERT_EQ(doc.size(), kMaxDocumentBytes);
  tree.write("/doc.json", doc);
  EXPECT_EQ(read_run_document(tree.root() / "doc.json")["schema"], "gpuval.run/1");
}

TEST(HostileInput, AFifoGivenToCompareIsRefusedNotWaitedOn) {
  testing::FixtureTree tree;
  const fs::path fifo = tree.root() / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  try {
    read_run_document(fifo);  // no writer: a blocking open would never return
    FAIL() << "expected DocumentError";
  } catch (const DocumentError& e) {
    EXPECT_NE(std::string(e.what()).find("fifo.json: not a regular file"), std::string::npos)
        << e.what();
  }
}

// --- schema majors beyond int: std::stoi threw std::out_of_range out of compare ----------------

TEST(HostileInput, AHugeSchemaMajorIsMalformedNotAnIntegerOverflow) {
  json doc = history::testing::make_doc({});
  doc["schema"] = "gpuval.run/99999999999";
  const std::string msg = parse_error(doc.dump());
  EXPECT_NE(msg.find("malformed schema version \"gpuval.run/99999999999\""), std::string::npos)
      << msg;
}

// --- a probe module of another build (fuzz target probe_result) --------------------------------

TEST(HostileInput, AProbeAnswerWhoseProbeFieldIsNotAStringFailsTheCheckNotTheRun) {
  // nlohmann's value("probe", ...) threw type_error 302 out of the cublas check.
  const DeviceOutcome o = interpret_probe_result(kCublasProbe, 0, R"({"probe": [{"name": "x"}]})");
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_NE(o.message.find("returned no results"), std::string::npos) << o.message;
  EXPECT_EQ(o.metrics["probe"], "cublas");
}

TEST(HostileInput, AProbeCountBeyondLongLongIsNotConvertedUndefined) {
  // static_cast<long long>(4e+28) was undefined behaviour (UBSan: float-cast-overflow).
  const DeviceOutcome o = interpret_probe_result(
      kCudnnProbe, 0,
      R"({"cases": [{"name": "conv", "status": "FAIL", "rel_error": 0.5, "tolerance": 0.001,
                     "bad_elements": 4e28, "elements": -1e300,
                     "first_bad": {"index": 1e19, "got": 1, "expected": 2}}]})");
  EXPECT_EQ(o.status, Status::Fail);
  EXPECT_NE(o.message.find("0 of 0 elements off, first at [-1]"), std::string::npos) << o.message;
}

// --- /proc files of odd kernels (fuzz target proc_status) ---------------------------------------

TEST(HostileInput, AMemTotalBeyond64BitsIsRefusedNotWrappedAround) {
  // 18446744073709551615 kB * 1024 wrapped around to a few kilobytes of "RAM".
  const Parsed<std::uint64_t> mem = parse_mem_total("MemTotal:       18446744073709551615 kB\n");
  EXPECT_FALSE(mem);
  EXPECT_NE(mem.error.find("overflows"), std::string::npos) << mem.error;
  EXPECT_EQ(parse_mem_total("MemTotal: 18014398509481983 kB").value, 18014398509481983ull * 1024);
}

// --- oversized environment values ----------------------------------------------------------------

TEST(HostileInput, MegabyteEnvironmentValuesGiveShortMessagesAndBoundedMetrics) {
  // Linux passes at most 128 KiB per variable (tests/e2e/hostile.bats: a 10 MB value cannot be
  // exec'd); an injected Env has no such limit, 1 MB keeps this test quick in Debug. Before
  // results were bounded, the messages quoted every duplicate and the metrics listed every
  // token: a run document several times the size of the values.
  std::string devices, caps;
  for (int i = 0; devices.size() < 1'000'000; ++i) devices += std::to_string(i % 1000) + ",";
  while (caps.size() < 1'000'000) caps += "compute,bogus,";
  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  const Env env{{"container", "podman"},
                {"NVIDIA_VISIBLE_DEVICES", devices},
                {"CUDA_VISIBLE_DEVICES", "GPU-" + std::string(1'000'000, 'a')},
                {"NVIDIA_DRIVER_CAPABILITIES", caps}};
  const Context ctx = testing::make_context(tree, env, libs, cuda);
  Facts facts;
  const std::vector<CheckResult> results = run_checks(ctx, facts);
  ASSERT_FALSE(results.empty());
  for (const CheckResult& r : results) {
    EXPECT_LE(r.message.size(), 1100u) << r.id;
    EXPECT_LE(r.hint.size(), 1100u) << r.id;
    EXPECT_LE(r.metrics.dump().size(), 4'000'000u) << r.id;
  }
  const auto nvd = std::find_if(results.begin(), results.end(), [](const CheckResult& r) {
    return r.id == "nvidia-visible-devices";
  });
  ASSERT_NE(nvd, results.end());
  EXPECT_NE(nvd->message.find("more bytes)"), std::string::npos) << nvd->message.substr(0, 2000);
}

// --- captured trees (gpuval --sysroot DIR) -------------------------------------------------------

TEST(HostileInput, AFifoInACapturedTreeIsUnreadableNotAHang) {
  // Sysroot::read_file opened with ifstream, which blocks on a FIFO until a writer comes.
  testing::FixtureTree tree;
  tree.write("/proc/self/limits", "");
  const fs::path fifo = tree.root() / "proc/self/status";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const Sysroot root(tree.root());
  EXPECT_FALSE(root.read_file("/proc/self/status").has_value());
  EXPECT_EQ(root.read_file("/proc/self/limits"), std::optional<std::string>(""));
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  const Context ctx = testing::make_context(tree, Env{{"container", "podman"}}, libs, cuda);
  Facts facts;
  EXPECT_FALSE(run_checks(ctx, facts).empty());
}

TEST(HostileInput, AFileBeyondTheSysrootLimitIsUnreadableNotSlurped) {
  testing::FixtureTree tree;
  tree.write("/proc/self/mountinfo", "");
  ASSERT_EQ(::truncate((tree.root() / "proc/self/mountinfo").c_str(), off_t{1} << 30), 0);
  EXPECT_FALSE(Sysroot(tree.root()).read_file("/proc/self/mountinfo").has_value());
}

}  // namespace
}  // namespace gpuval
