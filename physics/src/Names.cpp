#include "portalscan/physics/Names.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace portalscan {

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closestName(std::string_view name,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t bestDistance = 0;
  for (const auto& c : candidates) {
    const std::size_t d = editDistance(name, c);
    if (!best || d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // A plausible typo: at most a third of the longer name changed (and at least 1 allowed).
  const std::size_t allowed = std::max<std::size_t>(2, std::max(name.size(), std::size_t{3}) / 3);
  if (best && bestDistance <= allowed) return best;
  return std::nullopt;
}

std::string unknownNameMessage(std::string_view what, std::string_view name,
                               const std::vector<std::string>& candidates,
                               std::string_view context) {
  std::string message =
      "unknown " + std::string(what) + " '" + std::string(name) + "'" + std::string(context);
  if (auto near = closestName(name, candidates)) {
    message += " (did you mean '" + *near + "'?)";
  } else if (!candidates.empty() && candidates.size() <= 12) {
    message += " (known: ";
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      message += (i ? ", " : "") + candidates[i];
    }
    message += ")";
  }
  return message;
}

}  // namespace portalscan
