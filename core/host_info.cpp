#include "core/host_info.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <random>

namespace gpuval {

std::string ToolInfo::version() { return GPUVAL_VERSION; }
std::string ToolInfo::git_sha() { return GPUVAL_GIT_SHA; }

namespace {
std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return "unknown";
}
}  // namespace

nlohmann::json host_info(const std::optional<std::string>& node_name) {
  struct utsname u {};
  ::uname(&u);
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  nlohmann::json info{{"hostname", host},
                      {"kernel", u.release},
                      {"os", os_pretty_name()},
                      {"arch", u.machine},
                      {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)}};
  if (node_name && !node_name->empty() && *node_name != host) {
    info["container_hostname"] = host;
    info["hostname"] = *node_name;
  }
  return info;
}

std::string utc_now_rfc3339() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_run_id() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::random_device rd;
  return fmt::format("{}-{:08x}", stamp, rd());
}

}  // namespace gpuval
