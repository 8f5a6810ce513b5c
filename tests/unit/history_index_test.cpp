// The history index (history/index.hpp): created from the documents already there, the report
// over it equal to the report over the folders, incremental adds equal to a rebuild, a writer
// SIGKILLed between its steps, two writers at once, schema versions, damaged rows, baselines.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include "history/baseline.hpp"
#include "history/index.hpp"
#include "history/layout.hpp"
#include "report/model.hpp"
#include "report/run_table.hpp"
#include "tests/support/fixture_tree.hpp"
#include "tests/unit/history_test_docs.hpp"

namespace gpuval::history {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::DocSpec;
using testing::make_doc;

// A small fleet: 4 nodes (3 H100, 1 A100), 12 nights, bare metal and container, a driver upgrade
// on night 6, node 2's stream-triad 15 % slower from night 9, a failed check on night 3, a rerun,
// a night without GPU.
std::vector<json> fleet_docs() {
  std::vector<json> docs;
  for (int night = 0; night < 12; ++night) {
    for (int node = 1; node <= 4; ++node) {
      for (const char* mode : {"baremetal", "container"}) {
        DocSpec s;
        s.host = fmt::format("gpu-{:02}", node);
        s.model = node == 4 ? "NVIDIA A100-SXM4-80GB" : "NVIDIA H100 80GB HBM3";
        s.mode = mode;
        s.night = night;
        s.minute = node * 3 + (s.mode == "container" ? 1 : 0);
        s.driver = night < 6 ? "550.54.15" : "560.35.03";
        s.triad = (node == 4 ? 1862.0 : 3085.0) * (1 + 0.001 * ((night * 7 + node) % 5));
        if (node == 2 && night >= 9) s.triad *= 0.85;
        s.latency = 2.1 + 0.01 * node;
        if (node == 3 && night == 3) s.failed_check = "shm";
        if (node == 1 && night == 5 && s.mode == "container") s.verdict = "no-gpu";
        docs.push_back(make_doc(s));
        if (node == 1 && night == 7) {  // a rerun later that night
          s.minute += 30;
          s.triad *= 1.01;
          docs.push_back(make_doc(s));
        }
      }
    }
  }
  return docs;
}

void file_all(const fs::path& root, const std::vector<json>& docs) {
  for (const json& d : docs) file_document(root, d, d.dump(1));
}

IndexEntry entry_of(const json& doc) {
  const std::string text = doc.dump(1);
  EntryReading r = read_entry(text, document_path(fs::path(), identify(doc)).generic_string());
  EXPECT_EQ(r.kind, report::FileReading::Kind::kRun) << r.reason;
  return r.entry;
}

std::pair<std::string, std::string> render(const report::TableLoad& load,
                                           const report::ReportOptions& options = {}) {
  const report::Report r = report::build_report(*load.table, options, load.bad);
  return {report::render_markdown(r), report::render_html(r)};
}

// The report over the folders, the way `gpuval report --no-index` reads them.
std::pair<std::string, std::string> folder_report(const fs::path& root,
                                                  const report::ReportOptions& options = {}) {
  return render(report::load_run_table({root}, 2), options);
}

std::pair<std::string, std::string> index_report(const fs::path& root,
                                                 const report::ReportOptions& options = {}) {
  auto index = Index::open(root, Index::Access::kRead);
  return render(index->load_report_table(root), options);
}

void exec_sql(const fs::path& root, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(index_path(root).c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(HistoryIndex, CreatedWithTheDocumentsAlreadyInTheHistory) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  file_all(tree.root(), docs);
  EXPECT_FALSE(has_index(tree.root()));
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  EXPECT_TRUE(index->created());
  EXPECT_EQ(index->created_runs(), docs.size());
  EXPECT_EQ(index->run_count(), docs.size());
  index.reset();
  EXPECT_TRUE(has_index(tree.root()));
  EXPECT_FALSE(Index::open(tree.root(), Index::Access::kWrite)->created());
}

TEST(HistoryIndex, ReportOverTheIndexEqualsTheReportOverTheFolders) {
  gpuval::testing::FixtureTree tree;
  file_all(tree.root(), fleet_docs());
  // What a folder report lists besides runs: a bad file, a duplicate run id, other JSON, a pin.
  tree.write("/gpu-01/broken.json", "{\"schema\": \"gpuval.run/1\", \"run\": ");
  json dup = make_doc(DocSpec{});
  file_document(tree.root(), dup, dup.dump());
  tree.write("/copies/dup.json", dup.dump());
  tree.write("/gpu-02/host-facts.json", R"({"driver": "560.35.03"})");
  pin_document(tree.root(), dup, dup.dump());
  Index::open(tree.root(), Index::Access::kWrite);

  const auto folder = folder_report(tree.root());
  const auto indexed = index_report(tree.root());
  EXPECT_EQ(indexed.first, folder.first);
  EXPECT_EQ(indexed.second, folder.second);
  // Not trivially equal: the report found what the fleet holds.
  EXPECT_NE(folder.first.find("gpu-02"), std::string::npos);
  EXPECT_NE(folder.first.find("ongoing"), std::string::npos);
  EXPECT_NE(folder.first.find("broken.json"), std::string::npos);
  EXPECT_NE(folder.first.find("duplicate of"), std::string::npos);
  EXPECT_EQ(folder.first.find("_pins"), std::string::npos) << "pins are copies, never read";

  report::ReportOptions tight;
  tight.window = 3;
  tight.regression_threshold = 0.001;
  tight.outlier_threshold = 0.001;
  EXPECT_EQ(index_report(tree.root(), tight), folder_report(tree.root(), tight));
  EXPECT_NE(index_report(tree.root(), tight), index_report(tree.root()));
}

TEST(HistoryIndex, TheSameRunsThroughSummariesGiveTheSameReport) {
  // load_runs + build_report(summaries), the interface the unit tests and benchmarks use, and
  // the RunTable the command reads agree.
  gpuval::testing::FixtureTree tree;
  file_all(tree.root(), fleet_docs());
  const report::LoadResult loaded = report::load_runs({tree.root()});
  const report::Report r = report::build_report(loaded.runs, {}, loaded.bad);
  EXPECT_EQ(report::render_markdown(r), folder_report(tree.root()).first);
}

TEST(HistoryIndex, AddingNightByNightEqualsARebuild) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  ASSERT_TRUE(Index::open(tree.root(), Index::Access::kWrite)->created());
  for (std::size_t first = 0; first < docs.size(); first += 9) {
    auto index = Index::open(tree.root(), Index::Access::kWrite);
    std::vector<IndexEntry> entries;
    for (std::size_t i = first; i < std::min(first + 9, docs.size()); ++i) {
      entries.push_back(entry_of(docs[i]));
    }
    index->put_pending(entries);
    for (std::size_t i = first; i < std::min(first + 9, docs.size()); ++i) {
      file_document(tree.root(), docs[i], docs[i].dump(1));
    }
    index->put_indexed(entries);
  }
  const auto incremental = index_report(tree.root());
  EXPECT_EQ(incremental, folder_report(tree.root()));
  const Index::RebuildResult rebuilt =
      Index::open(tree.root(), Index::Access::kRebuild)->rebuild(2);
  EXPECT_EQ(rebuilt.runs, docs.size());
  EXPECT_EQ(rebuilt.bad, 0u);
  EXPECT_EQ(index_report(tree.root()), incremental);
}

// Runs `child` in a forked process that SIGKILLs itself where `child` returns.
void killed_child(const std::function<void()>& child) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    child();
    std::raise(SIGKILL);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST(HistoryIndex, AWriterKilledAfterFilingLeavesPendingRowsReadersCountAndTheNextSettles) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  const std::vector<json> first(docs.begin(), docs.begin() + 40);
  const std::vector<json> tonight(docs.begin() + 40, docs.begin() + 48);
  file_all(tree.root(), first);
  Index::open(tree.root(), Index::Access::kWrite);
  killed_child([&] {
    auto index = Index::open(tree.root(), Index::Access::kWrite);
    std::vector<IndexEntry> entries;
    for (const json& d : tonight) entries.push_back(entry_of(d));
    index->put_pending(entries);
    file_all(tree.root(), tonight);  // killed before put_indexed
  });
  // Filed but only pending: readers count them because the documents are there.
  EXPECT_EQ(Index::open(tree.root(), Index::Access::kRead)->run_count(), first.size());
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
  EXPECT_NE(folder_report(tree.root()).first.find("**48 runs**"), std::string::npos);
  // The next writer settles them from the files.
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  EXPECT_EQ(index->settle(), tonight.size());
  EXPECT_EQ(index->run_count(), first.size() + tonight.size());
  index.reset();
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
}

TEST(HistoryIndex, AWriterKilledBeforeFilingLeavesNothingReadersCount) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  const std::vector<json> first(docs.begin(), docs.begin() + 40);
  const std::vector<json> tonight(docs.begin() + 40, docs.begin() + 48);
  file_all(tree.root(), first);
  Index::open(tree.root(), Index::Access::kWrite);
  killed_child([&] {
    auto index = Index::open(tree.root(), Index::Access::kWrite);
    std::vector<IndexEntry> entries;
    for (const json& d : tonight) entries.push_back(entry_of(d));
    index->put_pending(entries);  // killed before filing anything
  });
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
  EXPECT_NE(folder_report(tree.root()).first.find("**40 runs**"), std::string::npos);
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  EXPECT_EQ(index->settle({}, 3600), 0u) << "young pending rows of a writer that may be alive stay";
  EXPECT_EQ(index->settle({}, -1), tonight.size()) << "old ones whose file never came go";
  index.reset();
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
}

TEST(HistoryIndex, AWriterKilledInsideATransactionLeavesTheIndexAsBefore) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  const std::vector<json> first(docs.begin(), docs.begin() + 40);
  file_all(tree.root(), first);
  Index::open(tree.root(), Index::Access::kWrite);
  const auto before = index_report(tree.root());
  // A rebuild is one transaction over every document: killed while it runs (its progress
  // callback fires between batches, with rows written and nothing committed).
  killed_child([&] {
    auto index = Index::open(tree.root(), Index::Access::kRebuild);
    index->rebuild(1, [](std::size_t, std::size_t) { std::raise(SIGKILL); });
  });
  EXPECT_EQ(index_report(tree.root()), before);
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  EXPECT_EQ(index->run_count(), first.size());
}

TEST(HistoryIndex, TwoWritersAtOnceBothGetIndexed) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  Index::open(tree.root(), Index::Access::kWrite);
  // Two processes (two connections), each filing every other night with the full add sequence,
  // many small transactions each so that they interleave.
  std::vector<pid_t> pids;
  for (int w = 0; w < 2; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        for (std::size_t i = static_cast<std::size_t>(w); i < docs.size(); i += 2) {
          auto index = Index::open(tree.root(), Index::Access::kWrite);
          index->settle();
          const std::vector<IndexEntry> entries{entry_of(docs[i])};
          index->put_pending(entries);
          file_document(tree.root(), docs[i], docs[i].dump(1));
          index->put_indexed(entries);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        rc = 1;
      }
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(Index::open(tree.root(), Index::Access::kRead)->run_count(), docs.size());
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
}

TEST(HistoryIndex, APendingRowWhoseFileHoldsOtherContentIsNotCounted) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  Index::open(tree.root(), Index::Access::kWrite);
  IndexEntry e = entry_of(docs[0]);
  json other = docs[0];
  other["benchmarks"][0]["median"] = 1.0;  // another writer's document under the same run id
  file_document(tree.root(), other, other.dump(1));
  Index::open(tree.root(), Index::Access::kWrite)->put_pending({e});
  EXPECT_EQ(index_report(tree.root()).first.find("**1 run**"), std::string::npos);
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  index->settle({e.path});
  index.reset();
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
  EXPECT_NE(folder_report(tree.root()).first.find("**1 run**"), std::string::npos);
}

TEST(HistoryIndex, AnotherSchemaMajorIsRefusedAndReindexRebuildsIt) {
  gpuval::testing::FixtureTree tree;
  file_all(tree.root(), fleet_docs());
  Index::open(tree.root(), Index::Access::kWrite);
  exec_sql(tree.root(), "UPDATE schema_version SET major = 2");
  for (Index::Access a : {Index::Access::kRead, Index::Access::kWrite}) {
    try {
      Index::open(tree.root(), a);
      ADD_FAILURE() << "opened an index of major 2";
    } catch (const IndexError& e) {
      EXPECT_NE(std::string(e.what()).find("gpuval.history-index/2.0"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find("gpuval history reindex"), std::string::npos);
    }
  }
  Index::open(tree.root(), Index::Access::kRebuild)->rebuild();
  EXPECT_EQ(index_report(tree.root()), folder_report(tree.root()));
}

TEST(HistoryIndex, AFileThatIsNoDatabaseIsAClearError) {
  gpuval::testing::FixtureTree tree;
  tree.write("/_index.sqlite", std::string(8192, 'x'));
  try {
    Index::open(tree.root(), Index::Access::kRead)->run_count();
    ADD_FAILURE() << "read garbage as an index";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("gpuval history reindex"), std::string::npos) << e.what();
  }
}

TEST(HistoryIndex, ADamagedRowIsABadFileNotACrash) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  file_all(tree.root(), docs);
  Index::open(tree.root(), Index::Access::kWrite);
  exec_sql(tree.root(), "UPDATE run SET benchmarks = x'0102' WHERE id = 3");
  auto index = Index::open(tree.root(), Index::Access::kRead);
  const report::TableLoad load = index->load_report_table(tree.root());
  EXPECT_EQ(load.table->runs.size(), docs.size() - 1);
  ASSERT_EQ(load.bad.size(), 1u);
  EXPECT_NE(load.bad[0].reason.find("reindex"), std::string::npos);
}

TEST(HistoryIndex, BaselineCandidatesAreWhatTheFoldersHold) {
  gpuval::testing::FixtureTree tree;
  const std::vector<json> docs = fleet_docs();
  file_all(tree.root(), docs);
  // A copy of a run outside its series' folders: the folders never make it a baseline.
  tree.write("/stray/copy.json", docs[10].dump());
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  std::size_t compared = 0;
  for (const json& d : docs) {
    const RunIdentity id = identify(d);
    for (const BaselineSpec& spec : {BaselineSpec{BaselineSpec::Kind::kMedian, 3},
                                     BaselineSpec{BaselineSpec::Kind::kMedian, 7}}) {
      const Baseline folders = select_baseline(tree.root(), id, spec);
      const Baseline indexed = select_baseline(tree.root(), id, spec, index.get());
      ASSERT_EQ(indexed.documents.size(), folders.documents.size()) << id.run_id;
      for (std::size_t i = 0; i < folders.documents.size(); ++i) {
        EXPECT_EQ(indexed.documents[i].path, folders.documents[i].path);
      }
      EXPECT_EQ(indexed.description, folders.description);
      EXPECT_EQ(indexed.nights, folders.nights);
      compared += folders.documents.size();
    }
  }
  EXPECT_GT(compared, docs.size());
}

TEST(HistoryIndex, LastRunOfEverySeries) {
  gpuval::testing::FixtureTree tree;
  std::vector<json> docs = fleet_docs();
  DocSpec gone;  // a node that stopped reporting after night 2
  gone.host = "gpu-gone";
  gone.night = 2;
  docs.push_back(make_doc(gone));
  file_all(tree.root(), docs);
  auto index = Index::open(tree.root(), Index::Access::kWrite);
  const std::vector<Index::LastRun> last = index->last_runs();
  // 4 nodes x 2 modes, gpu-gone in bare metal, and gpu-01's container run without a GPU (its
  // own series: model "no GPU").
  ASSERT_EQ(last.size(), 4u * 2 + 1 + 1);
  const auto epoch = [](const std::string& t) {
    std::int64_t e = 0;
    EXPECT_TRUE(parse_rfc3339(t, e));
    return e;
  };
  for (const Index::LastRun& l : last) {
    if (l.host == "gpu-gone") {
      EXPECT_EQ(l.started_epoch, epoch("2026-10-03T02:00:00Z"));
    } else if (l.gpu_model == "no GPU") {
      EXPECT_EQ(l.host, "gpu-01");
      EXPECT_EQ(l.started_epoch / 86400, epoch("2026-10-06T02:00:00Z") / 86400);
    } else {
      EXPECT_EQ(l.started_epoch / 86400, epoch("2026-10-12T02:00:00Z") / 86400) << l.host;
      EXPECT_TRUE(l.mode == "baremetal" || l.mode == "podman-cdi") << l.mode;
    }
  }
}

}  // namespace
}  // namespace gpuval::history
