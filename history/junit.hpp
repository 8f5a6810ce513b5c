// JUnit XML of a nightly check, readable by Jenkins, GitLab and GitHub test reporters: one
// testsuite per run document ("<host> <mode>") with a testcase per check (FAIL -> failure), per
// benchmark compared with the baseline (worse -> failure of type "regression", named after the
// benchmark), one for the baseline (skipped when there is none yet, error when a required one is
// missing) and one for the run's verdict; unusable inputs become errors of a suite "inputs".
#pragma once

#include <string>

#include "history/nightly_check.hpp"

namespace gpuval::history {

std::string render_nightly_junit(const NightlyResult& result);

}  // namespace gpuval::history
