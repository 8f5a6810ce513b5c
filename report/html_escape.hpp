// Making arbitrary text safe inside an HTML page (and the SVG inlined in it): host names, model
// names, driver strings and file paths come from run documents and may hold anything.
#pragma once

#include <string>
#include <string_view>

namespace gpuval::report {

// Escapes & < > " ' so the result is safe as element text and inside a quoted attribute value.
// Control characters other than tab and newline (invalid in HTML) become U+FFFD.
std::string html_escape(std::string_view text);

// The id attribute of a GPU model's section, stable so that Markdown and chat links can point at
// it: "model-" + the name lower-cased, each run of other characters than [a-z0-9] one "-":
// "NVIDIA H100 80GB HBM3" -> "model-nvidia-h100-80gb-hbm3". Only [a-z0-9-] ever appear.
std::string model_anchor(std::string_view gpu_model);

}  // namespace gpuval::report
