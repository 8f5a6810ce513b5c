// Text for XML attributes and element content (JUnit output of `gpuval run` and the nightly).
#pragma once

#include <string>

namespace gpuval {

// Escapes & < > " ' and replaces the control characters XML 1.0 forbids (even escaped) with '?'.
std::string xml_escape(const std::string& text);

}  // namespace gpuval
