#include "portalscan/scanner/engine/JsonText.hpp"

#include "portalscan/physics/Error.hpp"

#include <set>
#include <vector>

namespace portalscan::scanner {

namespace {

/// A refusal raised from inside the parser callback, carried out of nlohmann's parser.
struct Refusal {
  std::string message;
};

/// What a JSON error message says after nlohmann's "[json.exception.X.N] " prefix, trimmed.
std::string detail(const std::string& what) {
  const auto close = what.find("] ");
  std::string s = close == std::string::npos ? what : what.substr(close + 2);
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

}  // namespace

nlohmann::ordered_json parseJsonText(std::string_view text, const std::string& source) {
  using Json = nlohmann::ordered_json;
  std::vector<std::set<std::string>> keys;  // per open container; arrays hold an empty set
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) -> bool {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth) {
          throw Refusal{"nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
        }
        keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const std::string key = parsed.get<std::string>();
        if (!keys.empty() && !keys.back().insert(key).second) {
          std::string shown = key.substr(0, 60);
          for (char& ch : shown) {
            if (static_cast<unsigned char>(ch) < 0x20) ch = '?';
          }
          throw Refusal{"key '" + shown + "' given twice in one object"};
        }
        break;
      }
      case Json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), callback);
  } catch (const Refusal& r) {
    throw InputError(source + ": not a valid config (" + r.message + ")");
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(source + ": not valid JSON (" + detail(e.what()) + ")");
  } catch (const nlohmann::json::exception& e) {
    throw InputError(source + ": not valid JSON (" + detail(e.what()) + ")");
  }
}

}  // namespace portalscan::scanner
