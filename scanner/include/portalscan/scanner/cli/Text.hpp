#pragma once
/// Parsing and formatting of user-facing values (command line and tables).

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace portalscan::scanner {

/// Parses a whole string as a finite double; InputError naming `what` otherwise.
double parseFiniteNumber(std::string_view text, std::string_view what);

/// Splits "NAME=VALUE"; InputError ("malformed --set 'x': expected NAME=VALUE") otherwise.
std::pair<std::string, std::string> parseAssignment(std::string_view text, std::string_view flag);

/// Compact human formatting: 6 significant digits, "inf", "nan".
std::string formatNumber(double value, int digits = 6);

/// A double as JSON: finite numbers as numbers, NaN as null, +-inf as "inf"/"-inf"
/// (strict JSON has no non-finite numbers).
nlohmann::json numberToJson(double value);

}  // namespace portalscan::scanner
