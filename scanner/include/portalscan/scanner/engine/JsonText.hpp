#pragma once
/// JSON from outside the program (a scan config, a scan file's stored
/// config or subset) parsed defensively: nested at most kMaxJsonDepth levels
/// (deeper input would exhaust the stack), no key twice in one object (the
/// last one would silently win), and every failure, an overflowing number
/// included, an InputError naming `source`.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace portalscan::scanner {

inline constexpr int kMaxJsonDepth = 64;

nlohmann::ordered_json parseJsonText(std::string_view text, const std::string& source);

}  // namespace portalscan::scanner
