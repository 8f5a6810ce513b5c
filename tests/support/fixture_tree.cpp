#include "tests/support/fixture_tree.hpp"

#include <fstream>
#include <random>
#include <stdexcept>

namespace gpuval::testing {
namespace fs = std::filesystem;

namespace {
fs::path under(const fs::path& root, std::string_view abs_path) {
  std::string_view rel = abs_path;
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  return root / fs::path(rel);
}
}  // namespace

FixtureTree::FixtureTree() {
  std::random_device rd;
  root_ = fs::temp_directory_path() / ("gpuval-fixture-" + std::to_string(rd()) + "-" +
                                       std::to_string(rd()));
  fs::create_directories(root_);
}

FixtureTree::~FixtureTree() {
  std::error_code ec;
  fs::remove_all(root_, ec);
}

void FixtureTree::write(std::string_view abs_path, std::string_view content) {
  fs::path p = under(root_, abs_path);
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("fixture: cannot write " + p.string());
  out << content;
}

void FixtureTree::mkdir(std::string_view abs_path) { fs::create_directories(under(root_, abs_path)); }

void FixtureTree::symlink(std::string_view target, std::string_view abs_link) {
  fs::path p = under(root_, abs_link);
  fs::create_directories(p.parent_path());
  fs::create_symlink(fs::path(target), p);
}

void FixtureTree::chardev(std::string_view abs_path, unsigned major, unsigned minor) {
  write(abs_path, "");
  write(std::string(abs_path) + ".chardev", std::to_string(major) + ":" + std::to_string(minor));
}

void FixtureTree::force_open_errno(std::string_view abs_path, std::string_view errno_name) {
  write(std::string(abs_path) + ".errno", errno_name);
}

void FixtureTree::chmod(std::string_view abs_path, unsigned mode) {
  fs::permissions(under(root_, abs_path), static_cast<fs::perms>(mode));
}

void FakeLibraryLoader::add(const std::string& soname, const std::string& resolved_path) {
  libs_[soname] = resolved_path;
}

LibraryLoad FakeLibraryLoader::load(const std::string& soname) const {
  auto it = libs_.find(soname);
  if (it == libs_.end()) {
    return {false, {}, soname + ": cannot open shared object file: No such file or directory"};
  }
  return {true, it->second, {}};
}

Context make_context(const FixtureTree& tree, Env env, const FakeLibraryLoader& libs,
                     const FakeCudaDriverProbe& cuda, int runtime_version) {
  Context ctx{Sysroot(tree.root()), std::move(env), &libs, &cuda, runtime_version};
  return ctx;
}

}  // namespace gpuval::testing
