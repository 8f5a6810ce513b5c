#include "history/inputs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/run_document.hpp"

namespace gpuval::history {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Reads one file; `named` = given on the command line (must be a run document).
void read_one(const fs::path& path, bool named, Inputs& out) {
  InputDocument d;
  d.path = path.string();
  try {
    d.text = read_document_text(path);
    json doc = parse_json_text(d.text, d.path);
    const auto it = doc.is_object() ? doc.find("schema") : doc.end();
    const bool run_doc = doc.is_object() && it != doc.end() && it->is_string() &&
                         it->get<std::string>().starts_with("gpuval.run/");
    if (!run_doc) {
      if (named) {
        out.bad.push_back({d.path,
                           "not a gpuval run document (no \"schema\": "
                           "\"gpuval.run/1\"); give run documents or folders"});
      }
      return;
    }
    validate_run_document(doc);
    d.id = identify(doc);
    d.doc = std::move(doc);
    out.documents.push_back(std::move(d));
  } catch (const DocumentError& e) {
    // The readers name the file themselves; BadInput carries the path apart.
    std::string reason = e.what();
    const std::string prefix = d.path + ": ";
    if (reason.starts_with(prefix)) reason.erase(0, prefix.size());
    out.bad.push_back({d.path, std::move(reason)});
  }
}

void read_dir(const fs::path& dir, Inputs& out) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) {
    out.bad.push_back({dir.string(), fmt::format("cannot read the folder: {}", ec.message())});
    return;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.starts_with(".")) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (name.ends_with(".json") && it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) read_one(f, false, out);
}

}  // namespace

Inputs collect_documents(const std::vector<std::string>& args) {
  Inputs out;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      read_dir(arg, out);
    } else if (fs::is_regular_file(arg, ec)) {
      read_one(arg, true, out);
    } else if (fs::exists(arg, ec)) {
      // A FIFO or device would block the nightly forever.
      out.bad.push_back({arg, "not a regular file"});
    } else {
      out.bad.push_back({arg, "no such file or folder"});
    }
  }
  return out;
}

std::vector<InputDocument> latest_nights(std::vector<InputDocument> docs) {
  using Series = std::tuple<std::string, std::string, std::string>;
  std::map<Series, std::string> latest;
  for (const InputDocument& d : docs) {
    std::string& night = latest[{d.id.host, d.id.gpu_model, d.id.mode}];
    night = std::max(night, d.id.night);
  }
  std::vector<InputDocument> out;
  for (InputDocument& d : docs) {
    if (latest[{d.id.host, d.id.gpu_model, d.id.mode}] == d.id.night) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace gpuval::history
