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

void list_dir(const fs::path& dir, std::vector<InputFile>& out) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) {
    out.push_back({dir.string(), false, fmt::format("cannot read the folder: {}", ec.message())});
    return;
  }
  for (; it != end; it.increment(ec)) {
    if (ec) {
      out.push_back({dir.string(), false, fmt::format("cannot read the folder: {}", ec.message())});
      break;
    }
    const std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (name.starts_with(".")) {
      if (it->is_directory(type_ec)) it.disable_recursion_pending();
      continue;
    }
    if (name.ends_with(".json") && it->is_regular_file(type_ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (fs::path& f : files) out.push_back({f.string(), false, {}});
}

}  // namespace

std::vector<InputFile> list_documents(const std::vector<std::string>& args) {
  std::vector<InputFile> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      list_dir(arg, out);
    } else if (fs::is_regular_file(arg, ec)) {
      out.push_back({arg, true, {}});
    } else if (fs::exists(arg, ec)) {
      // A FIFO or device would block the nightly forever.
      out.push_back({arg, true, "not a regular file"});
    } else {
      out.push_back({arg, true, "no such file or folder"});
    }
  }
  return out;
}

void read_document(const InputFile& file, Inputs& out) {
  if (!file.error.empty()) {
    out.bad.push_back({file.path, file.error});
    return;
  }
  read_one(file.path, file.named, out);
}

Inputs collect_documents(const std::vector<std::string>& args) {
  Inputs out;
  for (const InputFile& f : list_documents(args)) read_document(f, out);
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
