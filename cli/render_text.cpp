#include "cli/render_text.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace gpuval::cli {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const char* status_color(const std::string& status) {
  if (status == "PASS" || status == "pass") return "\033[32m";
  if (status == "WARN") return "\033[33m";
  if (status == "FAIL" || status == "fail" || status == "no-gpu") return "\033[31m";
  return "\033[90m";
}

std::string paint(const TextStyle& style, const std::string& status, const std::string& text) {
  if (!style.color) return text;
  return std::string(status_color(status)) + text + "\033[0m";
}

// Greedy word wrap with a hanging indent.
std::string wrap(const std::string& text, std::size_t indent, std::size_t width) {
  if (width <= indent + 20) width = indent + 20;
  std::string out, line;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t sp = text.find(' ', pos);
    std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
    pos = sp == std::string::npos ? text.size() : sp + 1;
    if (!line.empty() && indent + line.size() + 1 + word.size() > width) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line;
}

}  // namespace

TextStyle detect_text_style(bool no_color_flag) {
  TextStyle style;
  const char* term = std::getenv("TERM");
  style.color = !no_color_flag && ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr &&
                !(term && std::strcmp(term, "dumb") == 0);
  struct winsize ws {};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 40) {
    style.width = ws.ws_col;
  }
  return style;
}

std::string render_checks_text(const json& doc, const TextStyle& style) {
  std::string out;
  std::size_t id_width = 5;
  for (const json& c : doc["checks"]) id_width = std::max(id_width, str(c, "id").size());
  const std::size_t indent = 7 + id_width + 1;
  for (const json& c : doc["checks"]) {
    const std::string status = str(c, "status");
    out += paint(style, status, fmt::format("{:<5}", status)) + "  " +
           fmt::format("{:<{}}", str(c, "id"), id_width) + " " +
           wrap(str(c, "message"), indent, static_cast<std::size_t>(style.width)) + "\n";
    const std::string hint = str(c, "hint");
    if (!hint.empty() && (status == "WARN" || status == "FAIL")) {
      out += std::string(indent, ' ') +
             wrap("hint: " + hint, indent, static_cast<std::size_t>(style.width)) + "\n";
    }
  }
  return out + "\n" + render_verdict_text(doc, style);
}

std::string render_verdict_text(const json& doc, const TextStyle& style) {
  const json& v = doc["verdict"];
  const std::string vs = str(v, "status");
  std::string out = paint(style, vs, "verdict: " + vs) + " — " + str(v, "summary") + "\n";
  if (vs != "pass" && !str(v, "hint").empty()) out += "fix: " + str(v, "hint") + "\n";
  return out;
}

std::string render_benchmarks_text(const json& doc, const TextStyle& style) {
  std::string out;
  std::size_t skipped = 0;
  for (const json& b : doc["benchmarks"]) {
    const std::string status = str(b, "status");
    if (status == "SKIP") {
      ++skipped;
      continue;
    }
    std::string figure = "-";
    if (b.contains("median") && b["median"].is_number()) {
      figure = fmt::format("{:.2f} {}", b["median"].get<double>(), str(b, "unit"));
      if (b.contains("cv") && b["cv"].is_number()) {
        figure += fmt::format(" ±{:.2f}%", 100.0 * b["cv"].get<double>());
      }
      if (b.contains("fraction_of_peak") && b["fraction_of_peak"].is_number()) {
        figure += fmt::format(" ({:.1f}% of peak)", 100.0 * b["fraction_of_peak"].get<double>());
      }
    }
    const std::string params = b.contains("params") ? b["params"].dump() : "";
    out += paint(style, status, fmt::format("{:<5}", status)) +
           fmt::format("  {:<22} {:<30} {}", str(b, "id"), params, figure);
    if (!str(b, "message").empty()) out += "  " + str(b, "message");
    out += "\n";
  }
  if (skipped > 0) {
    out += fmt::format("{} benchmark{} skipped", skipped, skipped == 1 ? "" : "s");
    for (const json& b : doc["benchmarks"]) {
      if (str(b, "status") == "SKIP") {
        out += ": " + str(b, "message");
        break;
      }
    }
    out += "\n";
  }
  return out.empty() ? out : out + "\n";
}

std::string render_info_text(const json& doc, const TextStyle& style) {
  (void)style;
  std::string out;
  const json& env = doc["environment"];
  const json drv = doc.value("driver", json::object());
  auto val = [](const json& j, const char* key) -> std::string {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return "-";
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  out += fmt::format("mode          {}\n", val(env, "mode"));
  out += fmt::format("engine        {}\n", val(env, "engine"));
  out += fmt::format("rootless      {}\n", val(env, "rootless"));
  out += fmt::format("injection     {}\n", val(env, "injection"));
  out += fmt::format("device nodes  {}\n", val(env, "device_nodes"));
  out += fmt::format("driver        {}\n", val(drv, "version"));
  out += fmt::format("CUDA driver   {}\n", val(drv, "cuda_driver_version"));
  out += fmt::format("CUDA runtime  {}\n", val(drv, "cuda_runtime_version"));
  const json nvidia_env = env.value("nvidia_env", json::object());
  for (const auto& [k, v] : nvidia_env.items()) {
    out += fmt::format("{:<13} {}\n", k, v.is_string() ? v.get<std::string>() : v.dump());
  }
  if (doc["devices"].empty()) {
    out += "devices       none usable\n";
    return out;
  }
  auto at = [&](const json& d, std::initializer_list<const char*> path) -> std::string {
    const json* j = &d;
    for (const char* key : path) {
      if (!j->is_object() || !j->contains(key)) return "-";
      j = &(*j)[key];
    }
    return j->is_null() ? "-" : j->is_string() ? j->get<std::string>() : j->dump();
  };
  auto gib = [&](const json& d, const char* key) -> std::string {
    const json m = d.value("memory", json::object());
    if (!m.contains(key) || !m[key].is_number()) return "-";
    return fmt::format("{:.1f} GiB", m[key].get<double>() / (1024.0 * 1024.0 * 1024.0));
  };
  for (const json& d : doc["devices"]) {
    out += fmt::format("\nGPU {}  {}  {}  {}  cc {}\n", val(d, "index"), val(d, "name"),
                       val(d, "uuid"), val(d, "pci_bus_id"), val(d, "compute_capability"));
    out += fmt::format("  memory       {} total, {} free, {}-bit @ {} MHz\n", gib(d, "total_bytes"),
                       gib(d, "free_bytes"), at(d, {"memory", "bus_width_bits"}),
                       at(d, {"memory", "max_clock_mhz"}));
    out += fmt::format("  PCIe         gen {}/{}  x{}/{}\n", at(d, {"pcie", "gen_current"}),
                       at(d, {"pcie", "gen_max"}), at(d, {"pcie", "width_current"}),
                       at(d, {"pcie", "width_max"}));
    out += fmt::format("  ECC          {} (volatile uncorrected {})  persistence {}  MIG {}\n",
                       at(d, {"ecc", "enabled"}), at(d, {"ecc", "volatile", "uncorrected"}),
                       val(d, "persistence_mode"), at(d, {"mig", "enabled"}));
    if (const json* mig = d.contains("mig") ? &d["mig"] : nullptr;
        mig != nullptr && mig->is_object()) {
      if (mig->contains("device") && (*mig)["device"].is_object()) {
        const json& m = (*mig)["device"];
        out += fmt::format("  MIG slice    {}  GI {} CI {}  {} SMs  {}/{} memory slices  of {}\n",
                           at(m, {"profile"}), at(m, {"gpu_instance_id"}),
                           at(m, {"compute_instance_id"}), at(m, {"sm_count"}),
                           at(m, {"memory_slices"}), at(m, {"memory_slices_total"}),
                           val(d, "parent_uuid"));
      } else if (mig->contains("devices") && (*mig)["devices"].is_array() &&
                 !(*mig)["devices"].empty()) {
        std::string list;
        for (const json& m : (*mig)["devices"]) {
          list += (list.empty() ? "" : ", ") + at(m, {"profile"}) + " " + at(m, {"uuid"});
        }
        out += "  MIG devices  " + list + "\n";
      }
    }
    out += fmt::format("  power        {} W / {} W  temperature {} C\n", at(d, {"power", "usage_w"}),
                       at(d, {"power", "limit_w"}), val(d, "temperature_c"));
    out += fmt::format(
        "  peaks        DRAM {} GB/s  FP64 {}  FP32 {}  TF32 {}  BF16 {}  FP8 {} TFLOP/s\n",
        at(d, {"peaks", "dram_gb_s"}), at(d, {"peaks", "fp64_tflops"}),
        at(d, {"peaks", "fp32_tflops"}), at(d, {"peaks", "tf32_tflops"}),
        at(d, {"peaks", "bf16_tflops"}), at(d, {"peaks", "fp8_tflops"}));
  }
  return out;
}

}  // namespace gpuval::cli
