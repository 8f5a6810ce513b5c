// `gpuval compare A.json B.json`: A is the reference (baseline, bare metal), B the candidate
// (tonight, container). Exit 0 when nothing got worse, 1 on a regression, 2 on bad input.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli/command.hpp"
#include "cli/render_text.hpp"
#include "compare/compare.hpp"
#include "compare/render.hpp"
#include "core/exit_codes.hpp"
#include "core/run_document.hpp"

namespace gpuval::cli {
namespace {

struct CompareArgs {
  std::string reference;
  std::string candidate;
  compare::CompareOptions options;
  bool markdown = false;
  bool json = false;
  bool no_color = false;
};

constexpr const char* kFooter =
    "Verdict per benchmark (matched by id, device and params; ratio = median B / median A):\n"
    "  same          the medians differ by less than --min-effect\n"
    "  better/worse  the difference is at least --min-effect and the Mann-Whitney U test on the\n"
    "                repetitions gives p < --alpha (direction from higher_is_better; time units\n"
    "                are lower-is-better when a document does not say)\n"
    "  inconclusive  not significant, or too few repetitions for the test to reach --alpha\n"
    "                (3 vs 3 cannot) unless the difference reaches --huge-effect\n"
    "  added/removed only in B / only in A\n"
    "A check that went to FAIL is a regression; environment and driver differences come first.\n"
    "Exit codes: 0 nothing got worse; 1 a benchmark got worse, a check went to FAIL or B lost\n"
    "its GPU; 2 usage error or a missing, malformed, truncated or other-major document.";

int run_compare(const CompareArgs& args) {
  nlohmann::json reference, candidate;
  try {
    reference = read_run_document(args.reference);
    candidate = read_run_document(args.candidate);
  } catch (const DocumentError& e) {
    std::cerr << "gpuval compare: " << e.what() << "\n";
    return exit_code::kBadInput;
  }
  compare::Comparison result;
  try {
    result =
        compare::compare_runs(reference, candidate, args.options, args.reference, args.candidate);
  } catch (const DocumentError& e) {
    std::cerr << "gpuval compare: " << e.what() << "\n";
    return exit_code::kBadInput;
  }
  if (args.json) {
    std::cout << compare::to_json(result).dump(2) << "\n";
  } else if (args.markdown) {
    std::cout << compare::render_markdown(result);
  } else {
    std::cout << compare::render_text(result, {detect_text_style(args.no_color).color});
  }
  std::cout.flush();
  return result.exit_code();
}

}  // namespace

Subcommand add_compare(CLI::App& parent) {
  auto args = std::make_shared<CompareArgs>();
  CLI::App* sub = parent.add_subcommand(
      "compare",
      "Compare run B with reference run A (container vs bare metal, tonight vs baseline)");
  sub->add_option("A", args->reference, "Reference run document (baseline, bare metal)")
      ->required();
  sub->add_option("B", args->candidate, "Candidate run document (tonight, container)")->required();
  sub->add_option("--alpha", args->options.alpha,
                  "Significance level of the Mann-Whitney U test on repetitions")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 0.5));
  sub->add_option("--min-effect", args->options.min_effect,
                  "Smallest relative change of the median that counts (0.02 = 2 %); smaller "
                  "differences are 'same'")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  sub->add_option("--huge-effect", args->options.huge_effect,
                  "Relative change that decides even with too few repetitions for the test")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  auto* md = sub->add_flag("--md,--markdown", args->markdown, "Print Markdown (CI comments)");
  sub->add_flag("--json", args->json, "Print the comparison as JSON (schema gpuval.compare/1)")
      ->excludes(md);
  sub->add_flag("--no-color", args->no_color,
                "No ANSI colours (also: NO_COLOR set, or stdout not a TTY)");
  sub->footer(kFooter);
  return {sub, [args] { return run_compare(*args); }};
}

}  // namespace gpuval::cli
