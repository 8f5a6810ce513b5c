// Every kernel launcher is exercised under compute-sanitizer. scripts/gpu-check.sh runs memcheck,
// racecheck, initcheck and synccheck on `gpuval_gpu_tests --gtest_filter='Kernels*'`, so each
// launch_* declared in kernels/*.cuh must be called from a TEST whose suite name starts with
// "Kernels" in tests/gpu/*.cpp. This test reads the sources (no GPU, no build output) and fails,
// naming what to add, when a new launcher is not.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace gpuval {
namespace {

namespace fs = std::filesystem;

// Replace // and /* */ comments with spaces (string literals are kept: a launcher named only in a
// string is not a call, and no header declares one there).
std::string strip_comments(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "//") == 0) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (text.compare(i, 2, "/*") == 0) {
      const std::size_t end = text.find("*/", i + 2);
      i = end == std::string::npos ? text.size() : end + 2;
      out += ' ';
    } else {
      out += text[i++];
    }
  }
  return out;
}

const std::regex& launcher_regex() {
  static const std::regex re(R"(\b(launch_[A-Za-z0-9_]+)\s*\()");
  return re;
}

// The launch_* functions a header declares (or defines inline).
std::set<std::string> declared_launchers(const std::string& header_text) {
  std::set<std::string> out;
  const std::string code = strip_comments(header_text);
  for (auto it = std::sregex_iterator(code.begin(), code.end(), launcher_regex());
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

// The launch_* functions called from the bodies of TEST / TEST_F / TEST_P cases whose suite name
// starts with "Kernels" (what --gtest_filter='Kernels*' runs). A case's body runs to the next
// TEST macro or the end of the file.
std::set<std::string> launchers_called_by_kernel_tests(const std::string& test_text) {
  static const std::regex test_re(
      R"(\bTEST(?:_F|_P)?\s*\(\s*([A-Za-z0-9_]+)\s*,\s*[A-Za-z0-9_]+\s*\))");
  const std::string code = strip_comments(test_text);
  std::vector<std::pair<std::size_t, std::string>> cases;  // body start, suite
  for (auto it = std::sregex_iterator(code.begin(), code.end(), test_re);
       it != std::sregex_iterator(); ++it) {
    cases.emplace_back(static_cast<std::size_t>(it->position(0) + it->length(0)), (*it)[1].str());
  }
  std::set<std::string> out;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    if (cases[c].second.rfind("Kernels", 0) != 0) continue;
    const std::size_t begin = cases[c].first;
    const std::size_t end = c + 1 < cases.size() ? cases[c + 1].first : code.size();
    const std::string body = code.substr(begin, end - begin);
    for (auto it = std::sregex_iterator(body.begin(), body.end(), launcher_regex());
         it != std::sregex_iterator(); ++it) {
      out.insert((*it)[1].str());
    }
  }
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_with_extension(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ext) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "launch_byte_fill" -> "ByteFill".
std::string camel_case(const std::string& launcher) {
  std::string out;
  bool upper = true;
  for (char ch : launcher.substr(std::string("launch_").size())) {
    if (ch == '_') {
      upper = true;
    } else {
      out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
      upper = false;
    }
  }
  return out;
}

TEST(KernelCoverage, ParserFindsDeclarationsAndIgnoresComments) {
  const std::string header =
      "// launch_commented(int) is only mentioned\n"
      "/* launch_in_block_comment(x) */\n"
      "cudaError_t launch_alpha(float* y, std::size_t n,\n"
      "                         cudaStream_t stream);\n"
      "inline cudaError_t launch_beta (int v) { return launch_alpha(nullptr, 0, nullptr); }\n"
      "cudaError_t stream_grid_size(int device, int* blocks);\n";
  EXPECT_EQ(declared_launchers(header), (std::set<std::string>{"launch_alpha", "launch_beta"}));
}

TEST(KernelCoverage, OnlyCallsInKernelsSuitesCount) {
  const std::string tests =
      "TEST(Other, CallsGamma) { kernels::launch_gamma(1); }\n"
      "TEST(Kernels, CallsAlpha) {\n  // launch_delta(2) in a comment\n"
      "  GPUVAL_CUDA_CHECK(kernels::launch_alpha(x, n, nullptr));\n}\n"
      "TEST_F(KernelsFixture, CallsBeta) { launch_beta(3); }\n"
      "TEST(NotKernels, CallsEpsilon) { launch_epsilon(4); }\n";
  EXPECT_EQ(launchers_called_by_kernel_tests(tests),
            (std::set<std::string>{"launch_alpha", "launch_beta"}));
}

TEST(KernelCoverage, EveryLauncherInKernelsIsRunUnderComputeSanitizer) {
  const fs::path source = GPUVAL_SOURCE_DIR;
  std::map<std::string, std::string> declared;  // launcher -> header
  for (const fs::path& header : files_with_extension(source / "kernels", ".cuh")) {
    for (const std::string& name : declared_launchers(read_text(header))) {
      declared.emplace(name, "kernels/" + header.filename().string());
    }
  }
  ASSERT_FALSE(declared.empty()) << "no launch_* declarations found in " << source / "kernels"
                                 << "/*.cuh: the parser or the layout changed";

  std::set<std::string> exercised;
  std::vector<fs::path> test_files = files_with_extension(source / "tests" / "gpu", ".cpp");
  ASSERT_FALSE(test_files.empty()) << "no tests/gpu/*.cpp";
  for (const fs::path& file : test_files) {
    exercised.merge(launchers_called_by_kernel_tests(read_text(file)));
  }

  for (const auto& [name, header] : declared) {
    if (exercised.count(name) != 0) continue;
    ADD_FAILURE() << header << " declares " << name
                  << "(), but no TEST(Kernels..., ...) in tests/gpu/*.cpp calls it, so "
                     "scripts/gpu-check.sh never runs it under compute-sanitizer (memcheck, "
                     "racecheck, initcheck and synccheck run gpuval_gpu_tests "
                     "--gtest_filter='Kernels*').\n"
                     "Add a case to tests/gpu/kernels_test.cpp that launches it once on a small, "
                     "odd size and checks every element, e.g.:\n"
                     "  TEST(Kernels, "
                  << camel_case(name)
                  << "WritesEveryElement) {\n"
                     "    // device buffers of a few thousand elements; poison outputs first:\n"
                     "    // out.fill_bytes(0xFF);\n"
                     "    GPUVAL_CUDA_CHECK(kernels::"
                  << name
                  << "(/* ... */, nullptr));\n"
                     "    GPUVAL_CUDA_CHECK(cudaDeviceSynchronize());\n"
                     "    // compare out.download() with a host reference, element by element\n"
                     "  }";
  }
}

}  // namespace
}  // namespace gpuval
