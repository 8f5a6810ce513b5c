// summarize() on hand-built run documents, and load_runs() on temporary directories.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "core/run_document.hpp"
#include "report/json_reader.hpp"
#include "report/summary.hpp"
#include "report/summary_internal.hpp"
#include "tests/support/fixture_tree.hpp"

namespace gpuval::report {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json bench(const std::string& id, json samples, json median, const std::string& unit = "GB/s") {
  return json{{"id", id},
              {"device", 0},
              {"params", {{"bytes", 1024}}},
              {"unit", unit},
              {"higher_is_better", unit == "GB/s"},
              {"samples", samples},
              {"median", median},
              {"cv", 0.01},
              {"fraction_of_peak", 0.9},
              {"status", "PASS"},
              {"clocks", {{"sm_mhz", {1980, 1980}}, {"throttled", false}}}};
}

json run_doc(const std::string& host = "node-1",
             const std::string& started = "2026-10-03T02:10:00Z",
             const std::string& mode = "baremetal") {
  return json{
      {"schema", "gpuval.run/1"},
      {"tool", {{"name", "gpuval"}, {"version", "0.1.0"}, {"git_sha", "abc"}, {"argv", {"x"}}}},
      {"run",
       {{"id", "r-" + host},
        {"command", "run"},
        {"profile", "quick"},
        {"started_at", started},
        {"finished_at", started},
        {"duration_s", 1.0}}},
      {"host", {{"hostname", host}, {"kernel", "6.1"}, {"os", "Debian"}, {"arch", "x86_64"}}},
      {"environment",
       {{"mode", mode},
        {"engine", mode == "container" ? "podman" : ""},
        {"injection", "cdi"},
        {"nvidia_env", {{"NVIDIA_VISIBLE_DEVICES", "all"}}}}},
      {"driver", {{"version", "550.54.15"}, {"cuda_driver_version", 12040}}},
      {"devices", {{{"index", 0}, {"name", "NVIDIA H100 80GB HBM3"}, {"uuid", "GPU-1"}}}},
      {"checks",
       {{{"id", "shm"},
         {"title", "shm"},
         {"status", "WARN"},
         {"message", "small"},
         {"metrics", {{"bytes", 64}}}},
        {{"id", "memlock"}, {"status", "PASS"}, {"message", "ok"}}}},
      {"benchmarks",
       {bench("stream-triad", {3000.0, 3010.0, 3020.0}, 3010.0),
        bench("launch-latency", {2.0, 2.2}, 2.1, "us")}},
      {"verdict", {{"status", "pass"}, {"exit_code", 0}, {"summary", "ok"}}}};
}

TEST(ReportSummary, ReadsIdentityVerdictAndChecks) {
  const RunSummary r = summarize(run_doc("node-7", "2026-10-05T01:59:59Z", "container"), "a.json");
  EXPECT_EQ(r.path, "a.json");
  EXPECT_EQ(r.run_id, "r-node-7");
  EXPECT_EQ(r.host, "node-7");
  EXPECT_EQ(r.gpu_model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(r.gpu_uuids, std::vector<std::string>{"GPU-1"});
  EXPECT_EQ(r.driver, "550.54.15");
  EXPECT_EQ(r.mode, "container");
  EXPECT_EQ(r.engine, "podman");
  EXPECT_EQ(r.date, "2026-10-05");
  EXPECT_EQ(r.profile, "quick");
  EXPECT_EQ(r.verdict, "pass");
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].id, "shm");
  EXPECT_EQ(r.checks[0].status, "WARN");
  EXPECT_EQ(r.checks[0].message, "small");
}

TEST(ReportSummary, BenchmarkKeyNamesDeviceAndParams) {
  const RunSummary r = summarize(run_doc(), "a.json");
  ASSERT_EQ(r.benchmarks.size(), 2u);
  const BenchPoint& b = r.benchmarks[0];
  EXPECT_EQ(b.key, "stream-triad gpu0 bytes=1024");
  EXPECT_EQ(b.id, "stream-triad");
  EXPECT_EQ(b.unit, "GB/s");
  EXPECT_TRUE(b.higher_is_better);
  EXPECT_EQ(b.status, "PASS");
  EXPECT_EQ(b.median, 3010.0);
  EXPECT_EQ(b.cv, 0.01);
  EXPECT_EQ(b.fraction_of_peak, 0.9);
  EXPECT_FALSE(r.benchmarks[1].higher_is_better);
}

TEST(ReportSummary, RepeatedBenchmarkKeyIsToldApartByOccurrence) {
  json doc = run_doc();
  doc["benchmarks"].push_back(doc["benchmarks"][0]);
  const RunSummary r = summarize(doc, "a.json");
  ASSERT_EQ(r.benchmarks.size(), 3u);
  EXPECT_EQ(r.benchmarks[2].key, "stream-triad gpu0 bytes=1024#2");
}

TEST(ReportSummary, DirectionFromTheUnitWhenTheDocumentDoesNotSay) {
  json doc = run_doc();
  for (json& b : doc["benchmarks"]) b.erase("higher_is_better");
  const RunSummary r = summarize(doc, "a.json");
  EXPECT_TRUE(r.benchmarks[0].higher_is_better);   // GB/s
  EXPECT_FALSE(r.benchmarks[1].higher_is_better);  // us
  EXPECT_FALSE(unit_higher_is_better("ms"));
  EXPECT_TRUE(unit_higher_is_better("TFLOP/s"));
}

TEST(ReportSummary, MedianFromSamplesWhenAbsentNoneForSkip) {
  json doc = run_doc();
  doc["benchmarks"][0]["median"] = nullptr;
  doc["benchmarks"][1] = bench("p2p-write", json::array(), nullptr);
  doc["benchmarks"][1]["status"] = "SKIP";
  const RunSummary r = summarize(doc, "a.json");
  EXPECT_EQ(r.benchmarks[0].median, 3010.0);
  EXPECT_FALSE(r.benchmarks[1].median.has_value());
}

TEST(ReportSummary, NoDevicesIsNoGpuAndNullDriverIsNone) {
  json doc = run_doc();
  doc["devices"] = json::array();
  doc["driver"]["version"] = nullptr;
  const RunSummary r = summarize(doc, "a.json");
  EXPECT_EQ(r.gpu_model, kNoGpu);
  EXPECT_EQ(r.driver, "none");
  EXPECT_TRUE(r.gpu_uuids.empty());
}

TEST(ReportSummary, UnusableFieldsAreDocumentErrorsNamingTheField) {
  auto error_of = [](const json& doc) -> std::string {
    try {
      summarize(doc, "a.json");
    } catch (const DocumentError& e) {
      return e.what();
    }
    return "no error";
  };
  json doc = run_doc();
  doc["run"]["started_at"] = "yesterday";
  EXPECT_NE(error_of(doc).find("run.started_at"), std::string::npos) << error_of(doc);
  doc = run_doc();
  doc["environment"]["mode"] = "vm";
  EXPECT_NE(error_of(doc).find("environment.mode"), std::string::npos) << error_of(doc);
  doc = run_doc();
  doc["host"].erase("hostname");
  EXPECT_NE(error_of(doc).find("host.hostname"), std::string::npos) << error_of(doc);
  doc = run_doc();
  doc["benchmarks"][1]["median"] = "fast";
  EXPECT_NE(error_of(doc).find("benchmarks[1].median"), std::string::npos) << error_of(doc);
  doc = run_doc();
  doc["benchmarks"][0]["params"] = json::array();
  EXPECT_NE(error_of(doc).find("benchmarks[0].params"), std::string::npos) << error_of(doc);
}

// The loader reads files' text; summarize() a parsed document: the same summary either way.
TEST(ReportSummary, TextAndParsedDocumentGiveTheSameSummary) {
  const json doc = run_doc("node-3", "2026-10-09T02:00:00Z", "container");
  const TextReading t = read_run_summary(doc.dump(1), "x");
  ASSERT_EQ(t.kind, TextReading::Kind::kRun);
  const RunSummary& a = t.run;
  const RunSummary b = summarize(doc, "x");
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.gpu_model, b.gpu_model);
  EXPECT_EQ(a.driver, b.driver);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.verdict, b.verdict);
  ASSERT_EQ(a.checks.size(), b.checks.size());
  ASSERT_EQ(a.benchmarks.size(), b.benchmarks.size());
  for (std::size_t i = 0; i < a.benchmarks.size(); ++i) {
    EXPECT_EQ(a.benchmarks[i].key, b.benchmarks[i].key);
    EXPECT_EQ(a.benchmarks[i].median, b.benchmarks[i].median);
    EXPECT_EQ(a.benchmarks[i].higher_is_better, b.benchmarks[i].higher_is_better);
    EXPECT_EQ(a.benchmarks[i].fraction_of_peak, b.benchmarks[i].fraction_of_peak);
  }
}

TEST(ReportSummary, JsonThatIsNoRunDocumentIsToldApart) {
  for (const json& other : {json::array({1, 2}), json("text"), json{{"driver", "550.54.15"}},
                            json{{"schema", "gpuval.compare/1"}}, json{{"schema", 1}}}) {
    EXPECT_EQ(read_run_summary(other.dump(), "x").kind, TextReading::Kind::kNotRunDocument)
        << other.dump();
    EXPECT_THROW(summarize(other, "x"), DocumentError);
  }
  EXPECT_THROW(read_run_summary("{\"schema\": ", "x"), JsonSyntaxError);
}

// What validate_run_document() rejects, reading the text rejects too, with its words.
TEST(ReportSummary, RejectsWhatValidateRunDocumentRejects) {
  auto error_of = [](const json& doc) -> std::string {
    std::string ours = "no error", validator = "no error";
    try {
      read_run_summary(doc.dump(), "x");
    } catch (const DocumentError& e) {
      ours = e.what();
    }
    try {
      validate_run_document(doc);
    } catch (const DocumentError& e) {
      validator = e.what();
    }
    EXPECT_EQ(ours, validator) << doc.dump();
    return ours;
  };
  json doc = run_doc();
  doc["schema"] = "gpuval.run/2";
  EXPECT_NE(error_of(doc).find("major version 2"), std::string::npos);
  doc["schema"] = "gpuval.run/x";
  EXPECT_NE(error_of(doc).find("malformed schema version"), std::string::npos);
  doc = run_doc();
  doc.erase("tool");
  EXPECT_EQ(error_of(doc), "missing required field \"tool\"");
  doc = run_doc();
  doc["checks"] = json::object();
  EXPECT_EQ(error_of(doc), "field \"checks\" must be an array (found object)");
  doc = run_doc();
  doc["verdict"].erase("exit_code");
  EXPECT_EQ(error_of(doc), "missing required field \"verdict.exit_code\"");
  doc = run_doc();
  doc["verdict"]["exit_code"] = 1.5;
  EXPECT_EQ(error_of(doc), "field \"verdict.exit_code\" must be an integer (found number)");
  doc = run_doc();
  doc["checks"][1] = "PASS";
  EXPECT_EQ(error_of(doc), "checks[1] must be an object");
  doc = run_doc();
  doc["checks"][0].erase("status");
  EXPECT_EQ(error_of(doc), "missing required field \"checks[0].status\"");
  doc = run_doc();
  doc["checks"][0]["id"] = 7;
  EXPECT_EQ(error_of(doc), "field \"checks[0].id\" must be a string (found number)");
  doc = run_doc();
  doc["benchmarks"][1].erase("samples");
  EXPECT_EQ(error_of(doc), "missing required field \"benchmarks[1].samples\"");
  doc = run_doc();
  doc["benchmarks"][0]["samples"] = "many";
  EXPECT_EQ(error_of(doc), "field \"benchmarks[0].samples\" must be an array (found string)");
}

// --- load_runs on a temporary directory --------------------------------------------------------

class LoadRuns : public ::testing::Test {
 protected:
  fs::path path(std::string_view rel) const { return tree.root() / fs::path(rel).relative_path(); }
  void write(std::string_view rel, const std::string& content) { tree.write(rel, content); }
  void write_doc(std::string_view rel, const json& doc) { write(rel, doc.dump(1)); }
  const BadFile* bad(const LoadResult& r, std::string_view rel) const {
    for (const BadFile& b : r.bad) {
      if (b.path == path(rel).string()) return &b;
    }
    return nullptr;
  }
  testing::FixtureTree tree;
};

TEST_F(LoadRuns, ReadsNestedDirectoriesSortedByStartTime) {
  write_doc("/runs/b/late.json", run_doc("node-2", "2026-10-04T02:00:00Z"));
  write_doc("/runs/a/x/early.json", run_doc("node-1", "2026-10-02T02:00:00Z"));
  write_doc("/runs/middle.json", run_doc("node-3", "2026-10-03T02:00:00Z"));
  const LoadResult r = load_runs({tree.root() / "runs"});
  EXPECT_TRUE(r.bad.empty());
  ASSERT_EQ(r.runs.size(), 3u);
  EXPECT_EQ(r.runs[0].host, "node-1");
  EXPECT_EQ(r.runs[1].host, "node-3");
  EXPECT_EQ(r.runs[2].host, "node-2");
  EXPECT_EQ(r.runs[0].path, path("/runs/a/x/early.json").string());
}

TEST_F(LoadRuns, MalformedJsonIsABadFileWithTheByteOffset) {
  write("/runs/broken.json", R"({"schema": "gpuval.run/1", "tool": {]})");  // ']' is byte 37
  write_doc("/runs/good.json", run_doc());
  const LoadResult r = load_runs({tree.root() / "runs"});
  EXPECT_EQ(r.runs.size(), 1u);
  const BadFile* b = bad(r, "/runs/broken.json");
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b->reason.find("malformed JSON at byte 37"), std::string::npos) << b->reason;
  EXPECT_EQ(b->reason.find('\n'), std::string::npos);
}

TEST_F(LoadRuns, TruncatedDocumentIsABadFileSayingTruncated) {
  const std::string text = run_doc().dump(1);
  write("/runs/cut.json", text.substr(0, text.size() / 2));
  const LoadResult r = load_runs({tree.root() / "runs"});
  EXPECT_TRUE(r.runs.empty());
  const BadFile* b = bad(r, "/runs/cut.json");
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b->reason.find("truncated JSON at byte"), std::string::npos) << b->reason;
}

TEST_F(LoadRuns, EmptyFileIsABadFile) {
  write("/runs/empty.json", "");
  const LoadResult r = load_runs({tree.root() / "runs"});
  const BadFile* b = bad(r, "/runs/empty.json");
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b->reason.find("empty file"), std::string::npos);
}

TEST_F(LoadRuns, OtherMajorSchemaIsABadFile) {
  json doc = run_doc();
  doc["schema"] = "gpuval.run/2";
  write_doc("/runs/future.json", doc);
  const LoadResult r = load_runs({tree.root() / "runs"});
  EXPECT_TRUE(r.runs.empty());
  const BadFile* b = bad(r, "/runs/future.json");
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b->reason.find("major version 2"), std::string::npos) << b->reason;
}

TEST_F(LoadRuns, InvalidRunDocumentIsABadFileNamingTheField) {
  json doc = run_doc();
  doc.erase("verdict");
  write_doc("/runs/no-verdict.json", doc);
  const LoadResult r = load_runs({tree.root() / "runs"});
  const BadFile* b = bad(r, "/runs/no-verdict.json");
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b->reason.find("verdict"), std::string::npos) << b->reason;
}

TEST_F(LoadRuns, OtherJsonIsIgnoredSilently) {
  write("/runs/host/host-facts.json", R"({"driver": "550.54.15", "engine": "podman"})");
  write("/runs/host/compare.json", R"({"schema": "gpuval.compare/1", "benchmarks": []})");
  write("/runs/list.json", "[1, 2, 3]");
  write("/runs/notes.txt", "not json at all");
  write_doc("/runs/host/baremetal.json", run_doc());
  const LoadResult r = load_runs({tree.root() / "runs"});
  EXPECT_EQ(r.runs.size(), 1u);
  EXPECT_TRUE(r.bad.empty()) << r.bad.front().path << ": " << r.bad.front().reason;
}

TEST_F(LoadRuns, AFileNamedDirectlyIsReadWhateverItsExtension) {
  write_doc("/runs/run.out", run_doc());
  EXPECT_TRUE(load_runs({tree.root() / "runs"}).runs.empty());  // not *.json in a directory
  EXPECT_EQ(load_runs({path("/runs/run.out")}).runs.size(), 1u);
}

TEST_F(LoadRuns, SameFileThroughTwoInputsIsReadOnce) {
  write_doc("/runs/a.json", run_doc());
  EXPECT_EQ(load_runs({tree.root() / "runs", path("/runs/a.json")}).runs.size(), 1u);
}

TEST_F(LoadRuns, TheSameRunInTwoFoldersIsCountedOnceAndTheCopyListed) {
  write_doc("/history/a.json", run_doc("node-1"));
  write_doc("/staging/copy.json", run_doc("node-1"));  // same run id, another place
  const LoadResult r = load_runs({tree.root() / "history", tree.root() / "staging"});
  ASSERT_EQ(r.runs.size(), 1u);
  EXPECT_EQ(r.runs[0].path, path("/history/a.json").string());
  const BadFile* b = bad(r, "/staging/copy.json");
  ASSERT_NE(b, nullptr);
  EXPECT_NE(b->reason.find("duplicate of " + path("/history/a.json").string()), std::string::npos)
      << b->reason;
}

TEST_F(LoadRuns, AByteOrderMarkIsAccepted) {
  write("/runs/bom.json", "\xEF\xBB\xBF" + run_doc().dump());
  const LoadResult r = load_runs({tree.root() / "runs"});
  EXPECT_TRUE(r.bad.empty()) << (r.bad.empty() ? "" : r.bad[0].reason);
  EXPECT_EQ(r.runs.size(), 1u);
}

TEST_F(LoadRuns, AFifoNamedDirectlyIsABadFileNotAHang) {
  const fs::path fifo = path("/fifo.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const LoadResult r = load_runs({fifo});
  EXPECT_TRUE(r.runs.empty());
  const BadFile* b = bad(r, "/fifo.json");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->reason, "not a regular file");
}

TEST_F(LoadRuns, EmptyDirectoryGivesNothing) {
  tree.mkdir("/empty");
  const LoadResult r = load_runs({tree.root() / "empty"});
  EXPECT_TRUE(r.runs.empty());
  EXPECT_TRUE(r.bad.empty());
}

TEST_F(LoadRuns, MissingInputIsABadFile) {
  const LoadResult r = load_runs({tree.root() / "nope"});
  EXPECT_TRUE(r.runs.empty());
  ASSERT_EQ(r.bad.size(), 1u);
  EXPECT_NE(r.bad[0].reason.find("no such file"), std::string::npos);
}

TEST_F(LoadRuns, SameResultOnOneOrManyThreadsAndProgressEndsAtTheTotal) {
  for (int i = 0; i < 40; ++i) {
    json doc = run_doc("node-" + std::to_string(i % 5),
                       "2026-10-" + std::to_string(10 + i % 20) + "T02:00:00Z");
    doc["run"]["id"] = "run-" + std::to_string(i);  // distinct runs (duplicates count once)
    write_doc("/runs/r" + std::to_string(i) + ".json", doc);
  }
  write("/runs/bad.json", "{");
  const LoadResult one = load_runs({tree.root() / "runs"}, 1);
  std::size_t last_done = 0, last_total = 0;
  const LoadResult many =
      load_runs({tree.root() / "runs"}, 4, [&](std::size_t done, std::size_t total) {
        last_done = done;
        last_total = total;
      });
  EXPECT_EQ(last_done, 41u);
  EXPECT_EQ(last_total, 41u);
  ASSERT_EQ(one.runs.size(), 40u);
  ASSERT_EQ(many.runs.size(), 40u);
  for (std::size_t i = 0; i < one.runs.size(); ++i) EXPECT_EQ(one.runs[i].path, many.runs[i].path);
  EXPECT_EQ(one.bad.size(), 1u);
  EXPECT_EQ(many.bad.size(), 1u);
}

}  // namespace
}  // namespace gpuval::report
