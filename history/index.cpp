#include "history/index.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/host_info.hpp"
#include "history/layout.hpp"

namespace gpuval::history {
namespace {

namespace fs = std::filesystem;
using report::FileReading;

constexpr int kWriterBusyMs = 10 * 60 * 1000;  // a reindex of a large history takes minutes
constexpr int kReaderBusyMs = 60 * 1000;
constexpr std::int64_t kIndexed = 0, kPending = 1;

// The tables (docs/nightly.md describes them). Strings that repeat are `label` ids; each run's
// benchmarks and failed checks are one BLOB (little-endian): reading a million runs is then a
// million rows, not thirty million.
constexpr const char* kSchemaSql = R"sql(
CREATE TABLE schema_version (
  name TEXT PRIMARY KEY, major INTEGER NOT NULL, minor INTEGER NOT NULL, written_by TEXT NOT NULL);
CREATE TABLE label (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
CREATE TABLE benchmark (
  id INTEGER PRIMARY KEY,
  key INTEGER NOT NULL, name INTEGER NOT NULL, unit INTEGER NOT NULL,
  higher_is_better INTEGER NOT NULL,
  UNIQUE (key, name, unit, higher_is_better));
CREATE TABLE run (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,
  state INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  size INTEGER NOT NULL,
  hash INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  date INTEGER NOT NULL,
  host INTEGER NOT NULL,
  gpu_model INTEGER NOT NULL,
  driver INTEGER NOT NULL,
  env_mode INTEGER NOT NULL,
  verdict INTEGER NOT NULL,
  series_model INTEGER,
  series_mode INTEGER,
  night TEXT,
  started_epoch INTEGER,
  checks_pass INTEGER NOT NULL,
  checks_warn INTEGER NOT NULL,
  checks_fail INTEGER NOT NULL,
  checks_skip INTEGER NOT NULL,
  failed_checks BLOB NOT NULL,
  benchmarks BLOB NOT NULL);
CREATE INDEX run_order ON run (started_at, path);
CREATE INDEX run_series ON run (host, series_model, series_mode, night, started_epoch, state);
CREATE INDEX run_run_id ON run (run_id);
CREATE INDEX run_pending ON run (state) WHERE state = 1;
CREATE TABLE bad_file (path TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE shared_run_id (run_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIEW runs AS
  SELECT r.path, r.run_id, r.started_at, d.text AS date, h.text AS host, m.text AS gpu_model,
         v.text AS driver, e.text AS mode, sm.text AS series_mode, r.night, vd.text AS verdict,
         r.checks_pass, r.checks_warn, r.checks_fail, r.checks_skip,
         CASE r.state WHEN 0 THEN 'indexed' ELSE 'pending' END AS state
  FROM run r JOIN label d ON d.id = r.date JOIN label h ON h.id = r.host
       JOIN label m ON m.id = r.gpu_model JOIN label v ON v.id = r.driver
       JOIN label e ON e.id = r.env_mode JOIN label vd ON vd.id = r.verdict
       LEFT JOIN label sm ON sm.id = r.series_mode;
)sql";

// ---- SQLite, thinly ---------------------------------------------------------------------------

class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3* db, std::string_view sql, const fs::path& file) : db_(db), file_(file) {
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &s_, nullptr) != SQLITE_OK) {
      fail("prepare");
    }
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(Stmt&& o) noexcept
      : db_(o.db_), file_(std::move(o.file_)), s_(std::exchange(o.s_, nullptr)) {}
  Stmt& operator=(Stmt&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(file_, o.file_);
    std::swap(s_, o.s_);
    return *this;
  }

  Stmt& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(s_, i, v)); }
  Stmt& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  Stmt& bind_blob(int i, const std::string& v) {
    return check(sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT));
  }
  Stmt& bind_null(int i) { return check(sqlite3_bind_null(s_, i)); }

  // True for a row, false when done.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail("step");
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  std::int64_t integer(int c) const { return sqlite3_column_int64(s_, c); }
  bool null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string_view text(int c) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)))
             : std::string_view();
  }
  std::string_view blob(int c) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, c));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, c)))
             : std::string_view();
  }

 private:
  Stmt& check(int rc) {
    if (rc != SQLITE_OK) fail("bind");
    return *this;
  }
  [[noreturn]] void fail(const char* what) const;

  sqlite3* db_ = nullptr;
  fs::path file_;
  sqlite3_stmt* s_ = nullptr;
};

std::string sqlite_problem(sqlite3* db, const fs::path& file) {
  const int rc = sqlite3_extended_errcode(db);
  const std::string msg = sqlite3_errmsg(db);
  if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
    return fmt::format(
        "the history index {} is locked by another gpuval (a reindex or an add) for longer than "
        "the timeout ({}); run the command again",
        file.string(), msg);
  }
  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
    return fmt::format(
        "the history index {} is damaged or no SQLite database ({}): rebuild it from the "
        "documents with `gpuval history reindex --history {}`",
        file.string(), msg, file.parent_path().string());
  }
  return fmt::format("the history index {}: {}", file.string(), msg);
}

void Stmt::fail(const char* what) const {
  throw IndexError(fmt::format("{} ({})", sqlite_problem(db_, file_), what));
}

// ---- blobs ------------------------------------------------------------------------------------

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}
void put_f64(std::string& out, double d) {
  std::uint64_t v = 0;
  std::memcpy(&v, &d, sizeof v);
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

class BlobReader {
 public:
  explicit BlobReader(std::string_view b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  bool ok() const { return ok_; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    if (pos_ + 4 > b_.size()) return fail<std::uint32_t>();
    for (int i = 0; i < 4; ++i) {
      v |= std::uint32_t{static_cast<unsigned char>(b_[pos_ + static_cast<std::size_t>(i)])}
           << (8 * i);
    }
    pos_ += 4;
    return v;
  }
  std::uint8_t u8() {
    if (pos_ + 1 > b_.size()) return fail<std::uint8_t>();
    return static_cast<std::uint8_t>(b_[pos_++]);
  }
  double f64() {
    std::uint64_t v = 0;
    if (pos_ + 8 > b_.size()) return fail<double>();
    for (int i = 0; i < 8; ++i) {
      v |= std::uint64_t{static_cast<unsigned char>(b_[pos_ + static_cast<std::size_t>(i)])}
           << (8 * i);
    }
    pos_ += 8;
    double d = 0;
    std::memcpy(&d, &v, sizeof d);
    return d;
  }

 private:
  template <typename T>
  T fail() {
    ok_ = false;
    pos_ = b_.size();
    return T{};
  }
  std::string_view b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Benchmark entry flags.
constexpr std::uint8_t kHasMedian = 1, kHasPeak = 2, kHasCv = 4;

// A document of the history as the report reads it (same reasons for files it cannot use).
EntryReading read_entry_file(const fs::path& file, const std::string& rel) {
  thread_local std::string text;
  if (std::string error = report::read_document_text(file.string(), text); !error.empty()) {
    EntryReading r;
    r.kind = FileReading::Kind::kBad;
    r.entry.path = rel;
    r.reason = std::move(error);
    return r;
  }
  return read_entry(text, rel);
}

bool is_hidden_component(const fs::path& rel) {
  for (const fs::path& part : rel) {
    if (part.string().starts_with(".")) return true;
  }
  return false;
}

}  // namespace

// ---- entries ----------------------------------------------------------------------------------

fs::path index_path(const fs::path& history) { return history / kIndexFile; }

bool has_index(const fs::path& history) {
  std::error_code ec;
  return fs::is_regular_file(index_path(history), ec);
}

std::uint64_t content_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::optional<IndexEntry::Series> series_of(const report::RunSummary& r) {
  IndexEntry::Series s;
  if (r.run_id.empty() || r.host.empty() || !parse_rfc3339(r.started_at, s.started_epoch)) {
    return std::nullopt;
  }
  if (r.verdict != "pass" && r.verdict != "fail" && r.verdict != "no-gpu" &&
      r.verdict != "interrupted") {
    return std::nullopt;
  }
  s.gpu_model = r.device_count == 0      ? "no GPU"
                : r.first_device_unnamed ? "unknown GPU"
                                         : r.gpu_model;
  if (r.mode == "container") {
    s.mode = (r.engine.empty() ? std::string("container") : r.engine) + "-" +
             (r.injection.empty() ? std::string("none") : r.injection);
  } else {
    s.mode = "baremetal";
  }
  s.night = utc_date(s.started_epoch);
  return s;
}

EntryReading read_entry(std::string_view text, std::string relative_path) {
  EntryReading out;
  FileReading r = report::read_run_text(text, relative_path);
  out.kind = r.kind;
  out.reason = std::move(r.reason);
  if (r.kind != FileReading::Kind::kRun) {
    out.entry.path = std::move(relative_path);
    return out;
  }
  out.entry.path = std::move(relative_path);
  out.entry.size = text.size();
  out.entry.hash = content_hash(text);
  out.entry.series = series_of(r.run);
  out.entry.run = std::move(r.run);
  return out;
}

// ---- the index --------------------------------------------------------------------------------

struct Index::Impl {
  fs::path history, file;
  sqlite3* db = nullptr;
  bool created = false;
  std::size_t created_runs = 0;
  std::unordered_map<std::string, std::int64_t> labels;
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t, bool>, std::int64_t> benches;
  Stmt label_stmt, bench_stmt, insert_pending, insert_indexed, delete_run, insert_bad, delete_bad,
      note_shared;

  ~Impl() {
    label_stmt = {};
    bench_stmt = {};
    insert_pending = {};
    insert_indexed = {};
    delete_run = {};
    insert_bad = {};
    delete_bad = {};
    note_shared = {};
    if (db) sqlite3_close_v2(db);
  }

  [[noreturn]] void fail(const char* what) const {
    throw IndexError(fmt::format("{} ({})", sqlite_problem(db, file), what));
  }

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      sqlite3_free(err);
      fail(sql);
    }
  }

  Stmt stmt(std::string_view sql) { return Stmt(db, sql, file); }

  // BEGIN IMMEDIATE ... COMMIT, rolled back when `body` throws; caches of ids inserted inside a
  // rolled-back transaction are dropped with it.
  template <typename Body>
  void transaction(Body body) {
    exec("BEGIN IMMEDIATE");
    try {
      body();
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      labels.clear();
      benches.clear();
      throw;
    }
  }

  void prepare_writes() {
    label_stmt = stmt(
        "INSERT INTO label(text) VALUES(?1) ON CONFLICT(text) DO UPDATE SET text = excluded.text "
        "RETURNING id");
    bench_stmt = stmt(
        "INSERT INTO benchmark(key, name, unit, higher_is_better) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(key, name, unit, higher_is_better) DO UPDATE SET key = excluded.key "
        "RETURNING id");
    static constexpr const char* kColumns =
        "path, state, updated_at, size, hash, run_id, started_at, date, host, gpu_model, driver, "
        "env_mode, verdict, series_model, series_mode, night, started_epoch, checks_pass, "
        "checks_warn, checks_fail, checks_skip, failed_checks, benchmarks";
    static constexpr const char* kValues =
        "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
        "?20, ?21, ?22, ?23";
    insert_pending = stmt(fmt::format("INSERT INTO run({}) VALUES({}) ON CONFLICT(path) DO NOTHING",
                                      kColumns, kValues));
    insert_indexed = stmt(fmt::format(
        "INSERT INTO run({}) VALUES({}) ON CONFLICT(path) DO UPDATE SET state = excluded.state, "
        "updated_at = excluded.updated_at, size = excluded.size, hash = excluded.hash, "
        "run_id = excluded.run_id, started_at = excluded.started_at, date = excluded.date, "
        "host = excluded.host, gpu_model = excluded.gpu_model, driver = excluded.driver, "
        "env_mode = excluded.env_mode, verdict = excluded.verdict, "
        "series_model = excluded.series_model, series_mode = excluded.series_mode, "
        "night = excluded.night, started_epoch = excluded.started_epoch, "
        "checks_pass = excluded.checks_pass, checks_warn = excluded.checks_warn, "
        "checks_fail = excluded.checks_fail, checks_skip = excluded.checks_skip, "
        "failed_checks = excluded.failed_checks, benchmarks = excluded.benchmarks",
        kColumns, kValues));
    delete_run = stmt("DELETE FROM run WHERE path = ?1");
    insert_bad = stmt(
        "INSERT INTO bad_file(path, reason) VALUES(?1, ?2) ON CONFLICT(path) DO UPDATE SET "
        "reason = excluded.reason");
    delete_bad = stmt("DELETE FROM bad_file WHERE path = ?1");
    // Run ids that another row has too: the report checks only those for duplicates. Never
    // removed (a stale entry costs the report one lookup); a rebuild starts afresh.
    note_shared = stmt(
        "INSERT OR IGNORE INTO shared_run_id(run_id) SELECT ?1 WHERE ?1 <> '' AND EXISTS "
        "(SELECT 1 FROM run WHERE run_id = ?1 AND path <> ?2)");
  }

  std::int64_t label(std::string_view text) {
    if (auto it = labels.find(std::string(text)); it != labels.end()) return it->second;
    label_stmt.bind(1, text);
    if (!label_stmt.step()) fail("label");
    const std::int64_t id = label_stmt.integer(0);
    label_stmt.reset();
    labels.emplace(std::string(text), id);
    return id;
  }

  std::int64_t bench(const report::BenchPoint& b) {
    const auto k = std::tuple{label(b.key), label(b.id), label(b.unit), b.higher_is_better};
    if (auto it = benches.find(k); it != benches.end()) return it->second;
    bench_stmt.bind(1, std::get<0>(k)).bind(2, std::get<1>(k)).bind(3, std::get<2>(k));
    bench_stmt.bind(4, std::int64_t{b.higher_is_better ? 1 : 0});
    if (!bench_stmt.step()) fail("benchmark");
    const std::int64_t id = bench_stmt.integer(0);
    bench_stmt.reset();
    benches.emplace(k, id);
    return id;
  }

  void put(Stmt& s, const IndexEntry& e, std::int64_t state) {
    const report::RunSummary& r = e.run;
    std::int64_t pass = 0, warn = 0, fail_count = 0, skip = 0;
    std::vector<std::int64_t> failed;
    for (const report::CheckPoint& c : r.checks) {
      if (c.status == "PASS") ++pass;
      if (c.status == "WARN") ++warn;
      if (c.status == "SKIP") ++skip;
      if (c.status == "FAIL") {
        ++fail_count;
        const std::int64_t id = label(c.id);
        if (std::find(failed.begin(), failed.end(), id) == failed.end()) failed.push_back(id);
      }
    }
    std::string failed_blob, bench_blob;
    for (std::int64_t id : failed) put_u32(failed_blob, static_cast<std::uint32_t>(id));
    bench_blob.reserve(r.benchmarks.size() * 29);
    for (const report::BenchPoint& b : r.benchmarks) {
      put_u32(bench_blob, static_cast<std::uint32_t>(bench(b)));
      const std::uint8_t flags = static_cast<std::uint8_t>(
          (b.median ? kHasMedian : 0) | (b.fraction_of_peak ? kHasPeak : 0) | (b.cv ? kHasCv : 0));
      bench_blob += static_cast<char>(flags);
      if (b.median) put_f64(bench_blob, *b.median);
      if (b.fraction_of_peak) put_f64(bench_blob, *b.fraction_of_peak);
      if (b.cv) put_f64(bench_blob, *b.cv);
    }
    note_shared.bind(1, r.run_id).bind(2, e.path).run();
    s.bind(1, e.path).bind(2, state).bind(3, static_cast<std::int64_t>(std::time(nullptr)));
    s.bind(4, static_cast<std::int64_t>(e.size)).bind(5, static_cast<std::int64_t>(e.hash));
    s.bind(6, r.run_id).bind(7, r.started_at).bind(8, label(r.date)).bind(9, label(r.host));
    s.bind(10, label(r.gpu_model)).bind(11, label(r.driver)).bind(12, label(r.mode));
    s.bind(13, label(r.verdict));
    if (e.series) {
      s.bind(14, label(e.series->gpu_model)).bind(15, label(e.series->mode));
      s.bind(16, e.series->night).bind(17, e.series->started_epoch);
    } else {
      s.bind_null(14).bind_null(15).bind_null(16).bind_null(17);
    }
    s.bind(18, pass).bind(19, warn).bind(20, fail_count).bind(21, skip);
    s.bind_blob(22, failed_blob).bind_blob(23, bench_blob);
    s.run();
  }

  void put_bad(const std::string& path, const std::string& reason) {
    delete_run.bind(1, path).run();
    insert_bad.bind(1, path).bind(2, reason).run();
  }

  void put_reading(const EntryReading& r) {
    if (r.kind == FileReading::Kind::kRun) {
      delete_bad.bind(1, r.entry.path).run();
      put(insert_indexed, r.entry, kIndexed);
    } else if (r.kind == FileReading::Kind::kBad) {
      put_bad(r.entry.path, r.reason);
    } else {
      delete_run.bind(1, r.entry.path).run();
      delete_bad.bind(1, r.entry.path).run();
    }
  }

  // Index every document of the history (inside a transaction). Parsing runs on `threads`
  // threads in batches; rows are written by this thread.
  Index::RebuildResult index_all(unsigned threads,
                                 const std::function<void(std::size_t, std::size_t)>& progress) {
    Index::RebuildResult result;
    std::vector<report::BadFile> unlisted;
    const std::vector<std::string> files = report::collect_run_files({history}, unlisted);
    for (const report::BadFile& b : unlisted) {
      throw IndexError(fmt::format("cannot read the history {}: {}", b.path, b.reason));
    }
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    constexpr std::size_t kBatch = 512;
    std::vector<EntryReading> batch(kBatch);
    for (std::size_t first = 0; first < files.size(); first += kBatch) {
      const std::size_t n = std::min(kBatch, files.size() - first);
      std::atomic<std::size_t> next{0};
      auto work = [&] {
        for (std::size_t i = next++; i < n; i = next++) {
          const std::string& doc = files[first + i];
          batch[i] =
              read_entry_file(doc, fs::path(doc).lexically_relative(history).generic_string());
        }
      };
      std::vector<std::thread> pool;
      for (unsigned t = 1; t < std::min<std::size_t>(threads, n); ++t) pool.emplace_back(work);
      work();
      for (std::thread& t : pool) t.join();
      for (std::size_t i = 0; i < n; ++i) {
        put_reading(batch[i]);
        if (batch[i].kind == FileReading::Kind::kRun) ++result.runs;
        if (batch[i].kind == FileReading::Kind::kBad) ++result.bad;
        batch[i] = {};
      }
      if (progress) progress(first + n, files.size());
    }
    return result;
  }

  void create_schema() {
    exec(kSchemaSql);
    Stmt s =
        stmt("INSERT INTO schema_version(name, major, minor, written_by) VALUES(?1, ?2, ?3, ?4)");
    s.bind(1, std::string_view(kIndexSchemaName)).bind(2, std::int64_t{kIndexSchemaMajor});
    s.bind(3, std::int64_t{kIndexSchemaMinor}).bind(4, "gpuval " + ToolInfo::version());
    s.run();
  }

  bool has_table(const char* name) {
    Stmt s = stmt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
    s.bind(1, std::string_view(name));
    return s.step() && s.integer(0) > 0;
  }

  // Throws IndexError unless the schema is one this gpuval reads.
  void check_version() {
    if (!has_table("schema_version")) {
      throw IndexError(fmt::format(
          "{} is no gpuval history index (no schema_version table): rebuild it with `gpuval "
          "history reindex --history {}`",
          file.string(), history.string()));
    }
    Stmt s = stmt("SELECT major, minor FROM schema_version WHERE name = ?1");
    s.bind(1, std::string_view(kIndexSchemaName));
    if (!s.step()) {
      throw IndexError(
          fmt::format("{} has no {} version: rebuild it with `gpuval history "
                      "reindex --history {}`",
                      file.string(), kIndexSchemaName, history.string()));
    }
    const std::int64_t major = s.integer(0), minor = s.integer(1);
    if (major != kIndexSchemaMajor) {
      throw IndexError(fmt::format(
          "the history index {} has schema {}/{}.{}; this gpuval reads major {} only: use the "
          "gpuval that wrote it, or rebuild it from the documents with `gpuval history reindex "
          "--history {}`",
          file.string(), kIndexSchemaName, major, minor, kIndexSchemaMajor, history.string()));
    }
  }

  // Whether a pending row's document is there with the content recorded.
  static bool document_matches(const fs::path& file, std::int64_t size, std::int64_t hash) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || st.st_size != size) return false;
    std::string text;
    return report::read_document_text(file.string(), text).empty() &&
           static_cast<std::int64_t>(content_hash(text)) == hash;
  }
};

Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Index::~Index() = default;

const fs::path& Index::history() const { return impl_->history; }
bool Index::created() const { return impl_->created; }
std::size_t Index::created_runs() const { return impl_->created_runs; }

std::unique_ptr<Index> Index::open(const fs::path& history, Access access) {
  auto impl = std::make_unique<Impl>();
  impl->history = history;
  impl->file = index_path(history);
  std::error_code ec;
  const bool existed = fs::exists(impl->file, ec);
  if (access == Access::kRead && !existed) {
    throw IndexError(fmt::format("{} has no history index ({})", history.string(), kIndexFile));
  }
  const int flags =
      access == Access::kRead ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(impl->file.c_str(), &impl->db, flags | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    impl->fail("open");
  }
  sqlite3_extended_result_codes(impl->db, 1);
  sqlite3_busy_timeout(impl->db, access == Access::kRead ? kReaderBusyMs : kWriterBusyMs);
  impl->exec("PRAGMA cache_size = -16384");  // 16 MiB
  if (access == Access::kRebuild) {
    Stmt wal = impl->stmt("PRAGMA journal_mode = WAL");
    wal.step();
    wal = {};
    impl->exec("PRAGMA synchronous = FULL");
  } else if (access == Access::kWrite) {
    // WAL: readers see the last commit while a writer works; FULL: a commit survives a crash.
    Stmt wal = impl->stmt("PRAGMA journal_mode = WAL");
    if (!wal.step() || wal.text(0) != "wal") {
      throw IndexError(fmt::format(
          "the history index {} cannot use SQLite's write-ahead log (journal mode {}): keep the "
          "history on a local filesystem",
          impl->file.string(), wal.text(0)));
    }
    wal = {};
    impl->exec("PRAGMA synchronous = FULL");
    Impl& i = *impl;
    impl->transaction([&] {
      if (!i.has_table("schema_version") && !i.has_table("run")) {
        i.create_schema();
        i.prepare_writes();
        i.created = true;
        i.created_runs = i.index_all(0, {}).runs;
      }
      i.check_version();
    });
    if (!i.created) i.prepare_writes();
  } else {
    impl->check_version();
  }
  return std::unique_ptr<Index>(new Index(std::move(impl)));
}

void Index::put_pending(const std::vector<IndexEntry>& entries) {
  impl_->transaction([&] {
    for (const IndexEntry& e : entries) impl_->put(impl_->insert_pending, e, kPending);
  });
}

void Index::put_indexed(const std::vector<IndexEntry>& entries) {
  impl_->transaction([&] {
    for (const IndexEntry& e : entries) {
      impl_->delete_bad.bind(1, e.path).run();
      impl_->put(impl_->insert_indexed, e, kIndexed);
    }
  });
}

std::size_t Index::settle(const std::vector<std::string>& paths, std::int64_t max_pending_age_s) {
  Impl& i = *impl_;
  std::size_t changed = 0;
  i.transaction([&] {
    struct Row {
      std::string path;
      std::int64_t state, updated_at;
    };
    std::vector<Row> rows;
    if (paths.empty()) {
      Stmt s =
          i.stmt("SELECT path, state, updated_at FROM run INDEXED BY run_pending WHERE state = 1");
      while (s.step()) rows.push_back({std::string(s.text(0)), s.integer(1), s.integer(2)});
    } else {
      Stmt s = i.stmt("SELECT state, updated_at FROM run WHERE path = ?1");
      for (const std::string& p : paths) {
        s.bind(1, p);
        const bool found = s.step();
        rows.push_back({p, found ? s.integer(0) : kIndexed, found ? s.integer(1) : 0});
        s.reset();
      }
    }
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    for (const Row& r : rows) {
      const fs::path file = i.history / r.path;
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) {
        i.put_reading(read_entry_file(file, r.path));
        ++changed;
      } else if (!paths.empty() || now - r.updated_at > max_pending_age_s) {
        i.delete_run.bind(1, r.path).run();
        i.delete_bad.bind(1, r.path).run();
        ++changed;
      }
    }
  });
  return changed;
}

Index::RebuildResult Index::rebuild(unsigned threads,
                                    const std::function<void(std::size_t, std::size_t)>& progress) {
  Impl& i = *impl_;
  RebuildResult result;
  i.transaction([&] {
    // Whatever is there goes: another major's tables too.
    std::vector<std::pair<std::string, std::string>> objects;
    {
      Stmt s = i.stmt(
          "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT "
          "LIKE 'sqlite_%'");
      while (s.step()) objects.emplace_back(std::string(s.text(0)), std::string(s.text(1)));
    }
    i.label_stmt = {};
    i.bench_stmt = {};
    i.insert_pending = {};
    i.insert_indexed = {};
    i.delete_run = {};
    i.insert_bad = {};
    i.delete_bad = {};
    i.note_shared = {};
    for (const auto& [type, name] : objects) {
      i.exec(
          fmt::format("DROP {} IF EXISTS \"{}\"", type == "view" ? "VIEW" : "TABLE", name).c_str());
    }
    i.labels.clear();
    i.benches.clear();
    i.create_schema();
    i.prepare_writes();
    result = i.index_all(threads, progress);
  });
  return result;
}

report::TableLoad Index::load_report_table(const fs::path& shown_root) {
  Impl& i = *impl_;
  report::TableLoad out;
  const auto shown = [&](std::string_view rel) {
    return (shown_root / fs::path(rel)).lexically_normal().string();
  };
  // One read transaction: every query sees the same commit.
  i.exec("BEGIN");
  struct EndRead {
    Impl& i;
    ~EndRead() { sqlite3_exec(i.db, "COMMIT", nullptr, nullptr, nullptr); }
  } end_read{i};

  // Pending rows count when their document is there as recorded.
  std::unordered_set<std::int64_t> counted_pending;
  {
    Stmt s = i.stmt("SELECT id, path, size, hash FROM run INDEXED BY run_pending WHERE state = 1");
    while (s.step()) {
      if (Impl::document_matches(i.history / fs::path(s.text(1)), s.integer(2), s.integer(3))) {
        counted_pending.insert(s.integer(0));
      }
    }
  }
  // Duplicate run ids: the first path wins, as in the folder reader.
  std::unordered_set<std::int64_t> duplicates;
  {
    Stmt s = i.stmt(
        "SELECT id, path, run_id, state FROM run WHERE run_id IN (SELECT run_id FROM "
        "shared_run_id) ORDER BY run_id, path");
    std::string current_run, first_path;
    while (s.step()) {
      const std::int64_t id = s.integer(0);
      if (s.integer(3) != kIndexed && !counted_pending.contains(id)) continue;
      if (s.text(2) != current_run) {
        current_run = std::string(s.text(2));
        first_path = shown(s.text(1));
        continue;
      }
      duplicates.insert(id);
      out.bad.push_back({shown(s.text(1)), report::duplicate_reason(first_path, current_run)});
    }
  }
  {
    Stmt s = i.stmt("SELECT path, reason FROM bad_file");
    while (s.step()) out.bad.push_back({shown(s.text(0)), std::string(s.text(1))});
  }

  report::RunTableBuilder builder;
  std::vector<std::uint32_t> text_of_label;
  {
    Stmt s = i.stmt("SELECT id, text FROM label");
    while (s.step()) {
      const auto id = static_cast<std::size_t>(s.integer(0));
      if (id >= text_of_label.size()) text_of_label.resize(id + 1, 0);
      text_of_label[id] = builder.text(s.text(1));
    }
  }
  const auto text = [&](std::int64_t label) {
    if (label < 0 || static_cast<std::size_t>(label) >= text_of_label.size()) {
      throw IndexError(
          fmt::format("{}: a run names label {}, which is missing: rebuild the index "
                      "with `gpuval history reindex --history {}`",
                      i.file.string(), label, i.history.string()));
    }
    return text_of_label[static_cast<std::size_t>(label)];
  };
  std::vector<std::int64_t> series_of_bench;
  {
    Stmt s = i.stmt("SELECT id, key, name, unit, higher_is_better FROM benchmark");
    while (s.step()) {
      const auto id = static_cast<std::size_t>(s.integer(0));
      if (id >= series_of_bench.size()) series_of_bench.resize(id + 1, -1);
      series_of_bench[id] = builder.series(
          {text(s.integer(1)), text(s.integer(2)), text(s.integer(3)), s.integer(4) != 0});
    }
  }
  const std::uint32_t container = builder.text("container"), fail = builder.text("fail");

  // Where each row goes: its rank in (started_at, path) order, read from the index alone; rows
  // are then read in the table's own order (sequential pages) and put in place afterwards.
  std::vector<std::uint32_t> rank_of_id;
  std::size_t ranked = 0;
  {
    Stmt s = i.stmt("SELECT id FROM run INDEXED BY run_order ORDER BY started_at, path");
    while (s.step()) {
      const auto id = static_cast<std::size_t>(s.integer(0));
      if (id >= rank_of_id.size()) rank_of_id.resize(id + 1, UINT32_MAX);
      rank_of_id[id] = static_cast<std::uint32_t>(ranked++);
    }
  }

  std::vector<std::pair<std::uint32_t, std::uint32_t>> placed;  // rank, builder index
  std::vector<std::int64_t> row_of_rank(ranked, -1);
  std::vector<std::uint32_t> layout, failed;
  std::vector<double> medians, peaks;
  Stmt s = i.stmt(
      "SELECT id, state, host, gpu_model, driver, env_mode, date, verdict, checks_pass, "
      "checks_warn, checks_fail, checks_skip, failed_checks, benchmarks, path FROM run");
  while (s.step()) {
    const std::int64_t id = s.integer(0);
    if (s.integer(1) != kIndexed && !counted_pending.contains(id)) continue;
    if (duplicates.contains(id)) continue;
    report::TableRun run;
    run.host = text(s.integer(2));
    run.model = text(s.integer(3));
    run.driver = text(s.integer(4));
    run.mode = text(s.integer(5));
    run.date = text(s.integer(6));
    run.container = run.mode == container;
    run.verdict_fail = text(s.integer(7)) == fail;
    run.pass = static_cast<std::uint32_t>(s.integer(8));
    run.warn = static_cast<std::uint32_t>(s.integer(9));
    run.fail = static_cast<std::uint32_t>(s.integer(10));
    run.skip = static_cast<std::uint32_t>(s.integer(11));
    failed.clear();
    layout.clear();
    medians.clear();
    peaks.clear();
    BlobReader fb(s.blob(12));
    while (!fb.done()) failed.push_back(text(fb.u32()));
    BlobReader bb(s.blob(13));
    bool ok = fb.ok();
    while (ok && !bb.done()) {
      const std::uint32_t bench = bb.u32();
      const std::uint8_t flags = bb.u8();
      const double median = (flags & kHasMedian) ? bb.f64() : 0;
      const double peak = (flags & kHasPeak) ? bb.f64() : report::kNoPeak;
      if (flags & kHasCv) bb.f64();
      if (!bb.ok() || bench >= series_of_bench.size() || series_of_bench[bench] < 0) {
        ok = false;
        break;
      }
      if (!(flags & kHasMedian)) continue;
      layout.push_back(static_cast<std::uint32_t>(series_of_bench[bench]));
      medians.push_back(median);
      peaks.push_back(peak);
    }
    if (!ok) {
      out.bad.push_back({shown(s.text(14)), fmt::format("the history index's row of this "
                                                        "document is damaged: rebuild the index "
                                                        "with `gpuval history reindex`")});
      continue;
    }
    run.layout = builder.layout(layout);
    const std::size_t at = builder.add(run, medians, peaks, failed);
    const auto uid = static_cast<std::size_t>(id);
    if (uid >= rank_of_id.size() || rank_of_id[uid] == UINT32_MAX) {
      throw IndexError(
          fmt::format("{}: a run is missing from the index run_order: rebuild the "
                      "index with `gpuval history reindex --history {}`",
                      i.file.string(), i.history.string()));
    }
    placed.emplace_back(rank_of_id[uid], static_cast<std::uint32_t>(at));
    row_of_rank[rank_of_id[uid]] = id;
  }
  s = {};
  std::sort(placed.begin(), placed.end());
  std::vector<std::size_t> order;
  order.reserve(placed.size());
  auto rows = std::make_shared<std::vector<std::int64_t>>();
  rows->reserve(placed.size());
  for (const auto& [rank, at] : placed) {
    order.push_back(at);
    rows->push_back(row_of_rank[rank]);
  }
  placed = {};
  row_of_rank = {};
  rank_of_id = {};
  builder.reorder(order);
  out.table = builder.finish();
  // Paths on demand (the report names the first night of each regression episode).
  auto db = std::make_shared<Stmt>(i.stmt("SELECT path FROM run WHERE id = ?1"));
  const std::string root = shown_root.string();
  out.table->path_of = [db, rows, root](std::size_t k) {
    db->bind(1, (*rows)[k]);
    std::string path = db->step()
                           ? (fs::path(root) / fs::path(db->text(0))).lexically_normal().string()
                           : std::string();
    db->reset();
    return path;
  };
  std::sort(out.bad.begin(), out.bad.end(),
            [](const report::BadFile& a, const report::BadFile& b) { return a.path < b.path; });
  return out;
}

std::vector<Index::Candidate> Index::baseline_candidates(const RunIdentity& tonight,
                                                         std::size_t max_nights, bool* truncated) {
  Impl& i = *impl_;
  std::vector<Candidate> out;
  if (truncated) *truncated = false;
  const auto label = [&](const std::string& text) -> std::optional<std::int64_t> {
    Stmt s = i.stmt("SELECT id FROM label WHERE text = ?1");
    s.bind(1, text);
    if (!s.step()) return std::nullopt;
    return s.integer(0);
  };
  const auto host = label(tonight.host), model = label(tonight.gpu_model),
             mode = label(tonight.mode), pass = label("pass");
  if (!host || !model || !mode || !pass) return out;
  Stmt s = i.stmt(
      "SELECT night, path, state, size, hash FROM run WHERE host = ?1 AND series_model = ?2 AND "
      "series_mode = ?3 AND night < ?4 AND verdict = ?5 AND run_id <> ?6 "
      "ORDER BY night DESC, path");
  s.bind(1, *host).bind(2, *model).bind(3, *mode).bind(4, tonight.night).bind(5, *pass);
  s.bind(6, tonight.run_id);
  // As list_series() finds them: under this host's and model's folders, in the mode's folder of
  // the night.
  const std::string host_slug = slug(tonight.host), model_slug = slug(tonight.gpu_model),
                    mode_slug = slug(tonight.mode);
  std::size_t nights = 0;
  std::string last_night;
  while (s.step()) {
    const std::string night(s.text(0));
    if (night != last_night) {
      if (max_nights > 0 && nights == max_nights) {
        if (truncated) *truncated = true;
        break;
      }
      ++nights;
      last_night = night;
    }
    const fs::path rel(s.text(1));
    std::vector<std::string> parts;
    for (const fs::path& p : rel) parts.push_back(p.string());
    if (parts.size() != 6 || parts[0] != host_slug || parts[1] != model_slug ||
        parts[2].starts_with(".") || parts[3] != night || parts[4] != mode_slug ||
        is_hidden_component(rel) || !parts[5].ends_with(".json")) {
      continue;
    }
    const fs::path file = i.history / rel;
    if (s.integer(2) != kIndexed) {
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) continue;
    }
    out.push_back({night, file});
  }
  return out;
}

std::vector<Index::LastRun> Index::last_runs() {
  Impl& i = *impl_;
  std::vector<LastRun> out;
  Stmt s = i.stmt(
      "SELECT h.text, m.text, d.text, r.latest FROM (SELECT host, series_model, series_mode, "
      "max(started_epoch) AS latest FROM run INDEXED BY run_series WHERE series_mode IS NOT NULL "
      "AND state = 0 GROUP BY host, series_model, series_mode) r JOIN label h ON h.id = r.host "
      "JOIN label m ON m.id = r.series_model JOIN label d ON d.id = r.series_mode "
      "ORDER BY h.text, m.text, d.text");
  while (s.step()) {
    out.push_back(
        {std::string(s.text(0)), std::string(s.text(1)), std::string(s.text(2)), s.integer(3)});
  }
  return out;
}

std::size_t Index::run_count() {
  Stmt s = impl_->stmt("SELECT count(*) FROM run WHERE state = 0");
  return s.step() ? static_cast<std::size_t>(s.integer(0)) : 0;
}

}  // namespace gpuval::history
