// Test helper for the engine, injection and limits checks: a fixture tree, an environment and
// the facts earlier checks recorded, run through one check.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "tests/support/fixture_tree.hpp"
#include "validate/checks.hpp"

namespace gpuval::testing {

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

struct Scenario {
  FixtureTree tree;
  FakeLibraryLoader libs;
  FakeCudaDriverProbe cuda;
  Env env;
  Facts facts;

  // Facts as the engine check leaves them in a container of this engine.
  void in_container(std::string engine) {
    facts.engine = std::move(engine);
    facts.in_container = true;
  }
  CheckResult run(CheckResult (*check)(const Context&, Facts&)) {
    Context ctx = make_context(tree, env, libs, cuda);
    return check(ctx, facts);
  }
};

// Every WARN and FAIL carries a hint; every result a message.
inline void expect_well_formed(const CheckResult& r) {
  EXPECT_FALSE(r.message.empty());
  if (r.status == Status::Warn || r.status == Status::Fail) {
    EXPECT_FALSE(r.hint.empty()) << r.message;
  }
  EXPECT_TRUE(r.metrics.is_object());
}

}  // namespace gpuval::testing
