#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/run_document.hpp"
#include "history/inputs.hpp"
#include "history/layout.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/history_test_docs.hpp"

namespace gpuval::history {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::DocSpec;
using testing::make_doc;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every file under root whose name starts with '.' (temporaries) and every other file.
std::pair<std::vector<fs::path>, std::vector<fs::path>> files_under(const fs::path& root) {
  std::vector<fs::path> hidden, visible;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    (e.path().filename().string().starts_with(".") ? hidden : visible).push_back(e.path());
  }
  return {hidden, visible};
}

TEST(HistorySlug, OddNamesBecomeSafePathComponents) {
  EXPECT_EQ(slug("NVIDIA H100 80GB HBM3"), "nvidia-h100-80gb-hbm3");
  EXPECT_EQ(slug("NVIDIA A100-SXM4-80GB"), "nvidia-a100-sxm4-80gb");
  EXPECT_EQ(slug("550.54.15"), "550.54.15");
  EXPECT_EQ(slug("../../etc/passwd"), "etc-passwd");
  EXPECT_EQ(slug(".hidden"), "hidden");
  EXPECT_EQ(slug(".."), "unknown");
  EXPECT_EQ(slug(""), "unknown");
  EXPECT_EQ(slug("NVIDIA \"Quoted\" / GPU\n\t\xc3\xa4"), "nvidia-quoted-gpu");
  EXPECT_EQ(slug("_pins"), "pins") << "a host can never be named like the pins folder";
  EXPECT_EQ(slug("20261025T020000Z-ab_CD", true), "20261025T020000Z-ab_CD");
}

TEST(HistorySlug, LongNamesAreShortenedButStayDistinct) {
  const std::string base(100, 'x');
  const std::string a = slug(base + "a"), b = slug(base + "b");
  EXPECT_LE(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, slug(base + "a")) << "stable";
}

TEST(HistoryLayout, PathIsHostModelDriverNightModeRunId) {
  const json doc = make_doc({.mode = "container",
                             .driver = "560.35.03",
                             .night = 24,
                             .run_id = "20261025T020000Z-1a2b3c4d"});
  const fs::path p = document_path("/h", identify(doc));
  EXPECT_EQ(p, fs::path("/h/gpu-h100-01/nvidia-h100-80gb-hbm3/560.35.03/2026-10-25/podman-cdi/"
                        "20261025T020000Z-1a2b3c4d.json"));
  EXPECT_EQ(pin_path("/h", identify(doc)),
            fs::path("/h/_pins/gpu-h100-01/nvidia-h100-80gb-hbm3/podman-cdi.json"));
}

TEST(HistoryLayout, OddModelAndHostNamesStayInsideTheHistory) {
  const json doc = make_doc({.host = "../../tmp/evil host",
                             .model = "../..//NVIDIA\\GPU\"x\"",
                             .run_id = "../../../../etc/passwd"});
  const fs::path p = document_path("/h", identify(doc)).lexically_normal();
  EXPECT_TRUE(p.string().starts_with("/h/")) << p;
  EXPECT_EQ(std::distance(p.begin(), p.end()), 8) << "root, h and six components: " << p;
  for (const auto& part : p) EXPECT_FALSE(part.string().starts_with(".")) << p;
}

TEST(HistoryLayout, NightIsTheUtcDateOfTheStart) {
  json doc = make_doc({});
  doc["run"]["started_at"] = "2026-10-25T01:30:00+02:00";
  EXPECT_EQ(identify(doc).night, "2026-10-24");
  doc["run"]["started_at"] = "2026-10-25T23:30:00.123-01:00";
  EXPECT_EQ(identify(doc).night, "2026-10-26");
  doc["run"]["started_at"] = "yesterday";
  EXPECT_THROW(identify(doc), DocumentError);
}

TEST(HistoryLayout, ModeNamesEngineAndInjection) {
  json doc = make_doc({.mode = "container"});
  EXPECT_EQ(identify(doc).mode, "podman-cdi");
  doc["environment"]["engine"] = "";
  doc["environment"]["injection"] = "legacy-hook";
  EXPECT_EQ(identify(doc).mode, "container-legacy-hook");
  EXPECT_EQ(identify(make_doc({})).mode, "baremetal");
}

TEST(HistoryLayout, ModeAndVerdictOutsideTheSchemaAreRefused) {
  json doc = make_doc({});
  doc["environment"]["mode"] = "vm";
  try {
    identify(doc);
    FAIL() << "expected DocumentError";
  } catch (const DocumentError& e) {
    EXPECT_NE(std::string(e.what()).find("environment.mode \"vm\""), std::string::npos);
  }
  doc = make_doc({});
  doc["verdict"]["status"] = "weird";
  EXPECT_THROW(identify(doc), DocumentError);
  doc["verdict"]["status"] = "interrupted";
  EXPECT_EQ(identify(doc).verdict, "interrupted");
}

TEST(HistoryFiling, FilingTheSameRunTwiceIsANoOp) {
  gpuval::testing::FixtureTree tree;
  const json doc = make_doc({});
  const std::string text = doc.dump(1);
  const FileResult first = file_document(tree.root(), doc, text);
  EXPECT_EQ(first.status, FileStatus::kFiled);
  EXPECT_EQ(slurp(first.path), text) << "filed verbatim";
  // Re-serialised differently: still the same document.
  const FileResult second = file_document(tree.root(), doc, doc.dump());
  EXPECT_EQ(second.status, FileStatus::kAlreadyFiled);
  EXPECT_EQ(second.path, first.path);
  EXPECT_EQ(slurp(first.path), text);
  EXPECT_EQ(files_under(tree.root()).second.size(), 1u);
}

TEST(HistoryFiling, ADifferentDocumentUnderTheSameRunIdIsAConflict) {
  gpuval::testing::FixtureTree tree;
  const json a = make_doc({.run_id = "r1"});
  const json b = make_doc({.run_id = "r1", .triad = 1.0});
  const FileResult first = file_document(tree.root(), a, a.dump());
  try {
    file_document(tree.root(), b, b.dump());
    FAIL() << "expected a conflict";
  } catch (const FilingError& e) {
    EXPECT_NE(std::string(e.what()).find("conflict"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("r1"), std::string::npos) << e.what();
  }
  EXPECT_EQ(json::parse(slurp(first.path)), a) << "the first document is kept";
  EXPECT_TRUE(files_under(tree.root()).first.empty()) << "no temporary left";
}

TEST(HistoryFiling, ConcurrentWritersNeverClashOrLeavePartialFiles) {
  gpuval::testing::FixtureTree tree;
  const json shared = make_doc({.run_id = "shared"});
  constexpr int kThreads = 8, kEach = 20;
  std::atomic<int> filed_shared{0}, already_shared{0}, errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      for (int i = 0; i < kEach; ++i) {
        try {
          const FileResult r = file_document(tree.root(), shared, shared.dump());
          (r.status == FileStatus::kFiled ? filed_shared : already_shared)++;
          const json own = make_doc(
              {.night = i % 5, .run_id = "t" + std::to_string(t) + "-" + std::to_string(i)});
          if (file_document(tree.root(), own, own.dump()).status != FileStatus::kFiled) ++errors;
        } catch (const std::exception&) {
          ++errors;
        }
      }
    });
  }
  go = true;
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(filed_shared, 1) << "exactly one writer files the shared run";
  EXPECT_EQ(already_shared, kThreads * kEach - 1);
  const auto [hidden, visible] = files_under(tree.root());
  EXPECT_TRUE(hidden.empty()) << hidden.front();
  EXPECT_EQ(visible.size(), static_cast<std::size_t>(kThreads * kEach + 1));
  for (const fs::path& p : visible) {
    EXPECT_FALSE(json::parse(slurp(p), nullptr, false).is_discarded()) << p;
  }
}

TEST(HistoryFiling, AWriterKilledMidWriteLeavesNoPartialDocument) {
  gpuval::testing::FixtureTree tree;
  const json doc = make_doc({.night = 3});
  const fs::path final_path = document_path(tree.root(), identify(doc));
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The temporary file is complete; the writer dies before publishing it.
    file_document(tree.root(), doc, doc.dump(), [] { std::raise(SIGKILL); });
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_FALSE(fs::exists(final_path));
  const auto [hidden, visible] = files_under(tree.root());
  // Nothing at all where the content was an unnamed file; else the hidden temporary.
  EXPECT_EQ(hidden.size(), writes_unnamed_files(final_path.parent_path()) ? 0u : 1u);
  EXPECT_TRUE(visible.empty());
  // Readers ignore the leftover; filing again works.
  EXPECT_TRUE(list_series(tree.root(), identify(doc)).empty());
  EXPECT_TRUE(collect_documents({tree.root().string()}).documents.empty());
  EXPECT_EQ(file_document(tree.root(), doc, doc.dump()).status, FileStatus::kFiled);
  EXPECT_EQ(list_series(tree.root(), identify(doc)).size(), 1u);
}

TEST(HistoryFiling, UnwritableHistoryIsAFilingErrorNamingThePath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  gpuval::testing::FixtureTree tree;
  fs::permissions(tree.root(), fs::perms::owner_read | fs::perms::owner_exec);
  const json doc = make_doc({});
  try {
    file_document(tree.root(), doc, doc.dump());
    ADD_FAILURE() << "expected FilingError";
  } catch (const FilingError& e) {
    EXPECT_NE(std::string(e.what()).find(tree.root().string()), std::string::npos) << e.what();
  }
  fs::permissions(tree.root(), fs::perms::owner_all);
}

TEST(HistoryFiling, APinIsReplacedWhole) {
  gpuval::testing::FixtureTree tree;
  const json first = make_doc({.night = 1});
  const json second = make_doc({.night = 2});
  const fs::path p = pin_document(tree.root(), first, first.dump());
  EXPECT_EQ(pin_document(tree.root(), second, second.dump()), p);
  EXPECT_EQ(json::parse(slurp(p)), second);
  EXPECT_TRUE(files_under(tree.root()).first.empty());
}

TEST(HistoryInputs, FoldersYieldRunDocumentsAndNameBadOnes) {
  gpuval::testing::FixtureTree tree;
  tree.write("/in/a/baremetal.json", make_doc({}).dump());
  tree.write("/in/a/host-facts.json", R"({"schema": "gpuval.host-facts/1"})");
  tree.write("/in/a/compare-podman-cdi.md", "# not json");
  tree.write("/in/b/truncated.json", make_doc({.night = 1}).dump().substr(0, 100));
  tree.write("/in/b/.podman-cdi.json.tmp.abc123", "{\"partial");
  tree.write("/in/.staging/x.json", make_doc({.night = 2}).dump());
  const Inputs in = collect_documents({(tree.root() / "in").string()});
  ASSERT_EQ(in.documents.size(), 1u);
  EXPECT_TRUE(in.documents[0].path.ends_with("a/baremetal.json"));
  ASSERT_EQ(in.bad.size(), 1u);
  EXPECT_TRUE(in.bad[0].path.ends_with("truncated.json"));
  EXPECT_NE(in.bad[0].reason.find("truncated"), std::string::npos) << in.bad[0].reason;

  const Inputs named = collect_documents(
      {(tree.root() / "in/a/host-facts.json").string(), (tree.root() / "missing.json").string()});
  ASSERT_EQ(named.bad.size(), 2u);
  EXPECT_NE(named.bad[0].reason.find("not a gpuval run document"), std::string::npos);
  EXPECT_NE(named.bad[1].reason.find("no such file"), std::string::npos);
}

TEST(HistoryInputs, LatestNightsKeepsEachSeriesLatestNightOnly) {
  std::vector<InputDocument> docs;
  for (const DocSpec& s : std::vector<DocSpec>{{.night = 1},
                                               {.night = 3},
                                               {.night = 3, .minute = 30},
                                               {.mode = "container", .night = 2},
                                               {.host = "gpu-h100-02", .night = 0}}) {
    InputDocument d;
    d.doc = make_doc(s);
    d.id = identify(d.doc);
    docs.push_back(std::move(d));
  }
  std::vector<std::string> kept;
  for (const InputDocument& d : latest_nights(std::move(docs))) {
    kept.push_back(d.id.host + " " + d.id.mode + " " + d.id.night);
  }
  EXPECT_EQ(kept, (std::vector<std::string>{
                      "gpu-h100-01 baremetal 2026-10-04", "gpu-h100-01 baremetal 2026-10-04",
                      "gpu-h100-01 podman-cdi 2026-10-03", "gpu-h100-02 baremetal 2026-10-01"}));
}

}  // namespace
}  // namespace gpuval::history
