#include "report/filtered_json.hpp"

#include <string>

namespace gpuval::report {
namespace {

using nlohmann::json;

// The value at the cursor; `depth` its nesting level if it is a container.
json build(JsonReader& in, KeepMember keep, std::string_view section, int depth) {
  switch (in.peek()) {
    case JsonType::kObject: {
      in.begin_object();
      json obj = json::object();
      auto& members = obj.get_ref<json::object_t&>();
      for (std::string key; in.next_member(key);) {
        if (!keep(section, depth, key)) {
          in.skip();
          continue;
        }
        json v = build(in, keep, depth == 1 ? std::string_view(key) : section, depth + 1);
        members.insert_or_assign(key, std::move(v));  // the last duplicate wins, as in nlohmann
      }
      return obj;
    }
    case JsonType::kArray: {
      in.begin_array();
      json arr = json::array();
      auto& items = arr.get_ref<json::array_t&>();
      while (in.next_element()) items.push_back(build(in, keep, section, depth + 1));
      return arr;
    }
    default:
      return in.value();
  }
}

}  // namespace

FilteredParse parse_filtered_json(std::string_view text, KeepMember keep) {
  FilteredParse result;
  try {
    JsonReader in(text);
    result.doc = build(in, keep, {}, 1);
    in.end();
    result.ok = true;
  } catch (const JsonSyntaxError& e) {
    result.doc = nullptr;
    result.error_byte = e.byte;
  }
  return result;
}

}  // namespace gpuval::report
