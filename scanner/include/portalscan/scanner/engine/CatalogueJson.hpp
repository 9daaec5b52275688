#pragma once
/// The constraint catalogue as data: constraints/data/catalogue.json is
/// compiled into the binary (never looked up in the working directory) and
/// parsed here into constraints::Catalogue.

#include "portalscan/constraints/Catalogue.hpp"

#include <string_view>

namespace portalscan::scanner {

/// Parses catalogue JSON text; std::logic_error on a malformed entry (the file
/// is part of the source tree, so a bad entry is a bug caught by the tests).
constraints::Catalogue parseCatalogue(std::string_view json);

/// The catalogue built into portalscan.
const constraints::Catalogue& builtinCatalogue();

}  // namespace portalscan::scanner
