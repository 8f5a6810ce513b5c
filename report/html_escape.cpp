#include "report/html_escape.hpp"

namespace gpuval::report {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string model_anchor(std::string_view gpu_model) {
  std::string out = "model-";
  bool dash = true;  // no leading dash after the prefix
  for (const char ch : gpu_model) {
    const char lower = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      out += lower;
      dash = false;
    } else if (!dash) {
      out += '-';
      dash = true;
    }
  }
  while (out.size() > 6 && out.back() == '-') out.pop_back();
  if (out.size() == 6) out += "unnamed";
  return out;
}

}  // namespace gpuval::report
