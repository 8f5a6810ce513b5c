// Who and what a run document is about, as the nightly history files and compares it: host, GPU
// model, driver, mode, night. Read defensively from a parsed (already validated) run document.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace gpuval::history {

struct RunIdentity {
  std::string host;                    // host.hostname
  std::string gpu_model;               // devices[0].name; "no GPU" when the run saw no device
  std::vector<std::string> gpu_uuids;  // devices[*].uuid in index order ("" when unknown)
  std::string driver;                  // driver.version; "none" when absent
  // "baremetal", or "<engine>-<injection>" for a container ("podman-cdi", "docker-legacy-hook";
  // engine "container" when unknown): runs that are comparable share a mode.
  std::string mode;
  std::string run_id;              // run.id
  std::string started_at;          // run.started_at as written (RFC 3339)
  std::int64_t started_epoch = 0;  // started_at in seconds since 1970 (UTC)
  std::string night;               // the UTC date of started_at, YYYY-MM-DD
  std::string verdict;             // verdict.status: pass | fail | no-gpu | interrupted
  std::string verdict_summary;
};

// Throws DocumentError when a field the history needs is missing or unusable (run.id empty,
// run.started_at not an RFC 3339 time, host.hostname missing).
RunIdentity identify(const nlohmann::json& doc);

// "baremetal" or "<engine>-<injection>" from the environment section.
std::string mode_of(const nlohmann::json& doc);

// Seconds since 1970 of an RFC 3339 time ("2026-10-25T02:13:00Z", fractions and +hh:mm offsets
// accepted). Returns false when the text is not one.
bool parse_rfc3339(const std::string& text, std::int64_t& epoch_seconds);

// YYYY-MM-DD of a UTC time.
std::string utc_date(std::int64_t epoch_seconds);

}  // namespace gpuval::history
