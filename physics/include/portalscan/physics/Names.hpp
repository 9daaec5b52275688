#pragma once
/// Name look-up with a "did you mean" for near-misses, shared by every layer
/// that validates a user-supplied name.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portalscan {

/// Levenshtein distance, case-insensitive.
std::size_t editDistance(std::string_view a, std::string_view b);

/// The closest candidate if it is close enough to be a plausible typo.
std::optional<std::string> closestName(std::string_view name,
                                       const std::vector<std::string>& candidates);

/// "unknown <what> 'name'<context> (did you mean 'x'?)" or "... (known: a, b, c)";
/// `context` reads like " of model 'm'".
std::string unknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates,
                               std::string_view context = {});

}  // namespace portalscan
