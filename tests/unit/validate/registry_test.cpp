#include "validate/registry.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tests/support/fixture_tree.hpp"

namespace gpuval {
namespace {

TEST(Registry, IdsAreUniqueKebabCaseAndGrouped) {
  std::set<std::string_view> ids;
  const std::regex kebab("^[a-z0-9][a-z0-9-]*$");
  for (const CheckDef& def : all_checks()) {
    EXPECT_TRUE(ids.insert(def.id).second) << "duplicate id " << def.id;
    EXPECT_TRUE(std::regex_match(std::string(def.id), kebab)) << def.id;
    EXPECT_FALSE(def.title.empty()) << def.id;
    EXPECT_FALSE(def.group.empty()) << def.id;
  }
  EXPECT_GE(ids.size(), 15u);
}

// The invariant every check must keep, on the emptiest possible system and on this machine:
// one result per check, ids from the table, and a hint on every WARN and FAIL.
void expect_invariants(const std::vector<CheckResult>& results) {
  ASSERT_EQ(results.size(), all_checks().size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].id, all_checks()[i].id);
    EXPECT_FALSE(results[i].message.empty()) << results[i].id;
    if (results[i].status == Status::Warn || results[i].status == Status::Fail) {
      EXPECT_FALSE(results[i].hint.empty()) << results[i].id << " has no hint";
    }
    EXPECT_TRUE(results[i].metrics.is_object()) << results[i].id;
  }
}

TEST(Registry, EmptyTreeGivesAResultWithHintForEveryCheck) {
  testing::FixtureTree tree;
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Context ctx = testing::make_context(tree, Env{}, libs, cuda);
  Facts facts;
  expect_invariants(run_checks(ctx, facts));
  EXPECT_FALSE(facts.gpu_usable);
}

TEST(Registry, GarbageInEveryFileNeverCrashesACheck) {
  testing::FixtureTree tree;
  const std::string junk = "\x01\xff garbage ::: \n\n= = =\0 -1 99999999999999999999999";
  for (const char* f :
       {"/proc/self/mountinfo", "/proc/self/cgroup", "/proc/self/status", "/proc/self/limits",
        "/proc/self/uid_map", "/proc/self/attr/current", "/proc/driver/nvidia/version",
        "/proc/1/cgroup", "/run/.containerenv", "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/cpu.max", "/proc/sys/kernel/cap_last_cap", "/sys/fs/selinux/enforce"}) {
    tree.write(f, junk);
  }
  testing::FakeLibraryLoader libs;
  testing::FakeCudaDriverProbe cuda;
  Env env({{"NVIDIA_VISIBLE_DEVICES", ",,GPU-zz,-1"},
           {"CUDA_VISIBLE_DEVICES", "x,,"},
           {"NVIDIA_DRIVER_CAPABILITIES", "compute,,bogus"}});
  Context ctx = testing::make_context(tree, env, libs, cuda);
  Facts facts;
  expect_invariants(run_checks(ctx, facts));
}

TEST(Registry, RealMachineRunsEveryCheck) {
  DlopenLibraryLoader libs;
  DlopenCudaDriverProbe cuda;
  Context ctx{Sysroot("/"), Env::from_process(), &libs, &cuda, 13000};
  Facts facts;
  expect_invariants(run_checks(ctx, facts));
}

}  // namespace
}  // namespace gpuval
