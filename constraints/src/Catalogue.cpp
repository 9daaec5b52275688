#include "portalscan/constraints/Catalogue.hpp"

#include <algorithm>

namespace portalscan::constraints {

std::string toString(Kind kind) {
  switch (kind) {
    case Kind::Upper:
      return "upper";
    case Kind::Lower:
      return "lower";
    case Kind::Window:
      return "window";
    case Kind::Gaussian:
      return "gaussian";
    case Kind::Curve:
      return "curve";
    case Kind::Region:
      return "region";
    case Kind::Profile:
      return "profile";
  }
  return "?";
}

const Use* Entry::useFor(const std::string& model,
                         const std::map<std::string, std::string, std::less<>>& options) const {
  for (const Use& u : uses) {
    if (u.model != model) continue;
    bool match = true;
    for (const auto& [option, allowed] : u.options) {
      const auto it = options.find(option);
      if (it == options.end() ||
          std::find(allowed.begin(), allowed.end(), it->second) == allowed.end()) {
        match = false;
        break;
      }
    }
    if (match) return &u;
  }
  return nullptr;
}

const Limit* Entry::limitFor(const Use& use, const std::string& variant) const {
  if (const auto it = use.variants.find(variant); it != use.variants.end()) return &it->second;
  if (const auto it = variants.find(variant); it != variants.end()) return &it->second;
  return nullptr;
}

std::vector<std::string> Entry::variantNames() const {
  std::vector<std::string> names;
  for (const auto& [variant, limit] : variants) names.push_back(variant);
  for (const Use& u : uses) {
    for (const auto& [variant, limit] : u.variants) {
      if (std::find(names.begin(), names.end(), variant) == names.end()) names.push_back(variant);
    }
  }
  return names;
}

Catalogue::Catalogue(std::vector<Entry> entries) : entries_(std::move(entries)) {}

const Entry* Catalogue::find(const std::string& name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::vector<std::string> Catalogue::names() const {
  std::vector<std::string> n;
  for (const Entry& e : entries_) n.push_back(e.name);
  return n;
}

}  // namespace portalscan::constraints
