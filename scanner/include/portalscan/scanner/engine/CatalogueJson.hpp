#pragma once
/// The constraint catalogue as data: constraints/data/catalogue.json is
/// compiled into the binary (never looked up in the working directory) and
/// parsed here into constraints::Catalogue.

#include "portalscan/constraints/Catalogue.hpp"
#include "portalscan/constraints/LimitTable.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace portalscan::scanner {

using LimitTables = std::map<std::string, std::shared_ptr<const constraints::LimitTable>>;

/// Parses catalogue JSON text; std::logic_error on a malformed entry (the file
/// is part of the source tree, so a bad entry is a bug caught by the tests).
/// A curve or region variant names its limit file, looked up in `tables`.
constraints::Catalogue parseCatalogue(std::string_view json, const LimitTables& tables = {});

/// The limit files compiled into portalscan (constraints/data/limits/), by file name.
const LimitTables& builtinLimitTables();

/// The catalogue built into portalscan.
const constraints::Catalogue& builtinCatalogue();

}  // namespace portalscan::scanner
