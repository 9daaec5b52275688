#pragma once
// Catalogue entries and limits built in code for the chain tests (this layer
// knows no JSON): one entry on hidden_kev_fermion, with its "current" variant.

#include "portalscan/constraints/Catalogue.hpp"

#include <memory>
#include <string>

namespace portalscan::constraints::test {

inline Limit limitOf(Kind kind, double value, double cl = 0.95,
                     const char* source = "test source") {
  Limit l;
  l.kind = kind;
  l.value = value;
  l.cl = cl;
  l.experiment = source;
  return l;
}

inline Limit windowOf(double low, double high, double cl) {
  Limit l = limitOf(Kind::Window, 0.0, cl);
  l.low = low;
  l.high = high;
  return l;
}

inline Limit gaussianOf(double mean, double sigma, double cl = 0.95) {
  Limit l = limitOf(Kind::Gaussian, mean, cl);
  l.sigma = sigma;
  return l;
}

/// A curve (or region) against `x` from a parsed limit file.
inline Limit tableOf(Kind kind, const std::string& x, std::shared_ptr<const LimitTable> table) {
  Limit l = limitOf(kind, 0.0);
  l.x = x;
  l.table = std::move(table);
  return l;
}

inline Entry entryOf(const std::string& name, const std::string& observable, Limit current) {
  Entry e;
  e.name = name;
  e.family = "test";
  e.variants["current"] = std::move(current);
  e.uses.push_back({"hidden_kev_fermion", {}, observable, {}});
  return e;
}

}  // namespace portalscan::constraints::test
