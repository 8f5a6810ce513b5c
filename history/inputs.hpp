// Run documents named on the command line: files, or directories searched recursively (what
// scripts/gpuval-host.sh writes, or documents collected from Kubernetes or Slurm nodes).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "history/identity.hpp"

namespace gpuval::history {

struct InputDocument {
  std::string path;
  std::string text;    // the file as read (filed verbatim)
  nlohmann::json doc;  // parsed and validated
  RunIdentity id;
};

struct BadInput {
  std::string path;
  std::string reason;  // one line
};

struct Inputs {
  std::vector<InputDocument> documents;  // in argument order; a directory's files sorted by path
  std::vector<BadInput> bad;
};

// In a directory, every *.json whose "schema" is gpuval.run/<major> is a run document; other JSON
// (host-facts.json, compare output) is skipped silently, hidden files and folders (temporary
// files of writers in progress) are never read. A named file must be a run document. Malformed,
// truncated, unreadable, oversized (core's kMaxDocumentBytes) or other-major documents, and
// documents without the identity the history needs (identify()), go to `bad`, named.
Inputs collect_documents(const std::vector<std::string>& args);

// The same in two steps, for callers that handle one document at a time and so keep memory
// bounded whatever the number of files (`gpuval history add` over a folder of 100,000):
// list_documents names the files without reading them, read_document reads one into `out`.
struct InputFile {
  std::string path;
  bool named = false;  // given on the command line: must be a run document
  std::string error;   // set when the argument itself is unusable (missing, not a file)
};
std::vector<InputFile> list_documents(const std::vector<std::string>& args);
void read_document(const InputFile& file, Inputs& out);

// Keeps, of each host, GPU model and mode, only the documents of its latest night: for folders
// that accumulate every night's documents (a shared results volume), "tonight" is each series'
// latest night. Order is kept.
std::vector<InputDocument> latest_nights(std::vector<InputDocument> docs);

}  // namespace gpuval::history
