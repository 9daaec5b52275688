#include "portalscan/constraints/Statistics.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include <cmath>

namespace portalscan::constraints::stats {

double oneSidedZ(double cl) { return boost::math::quantile(boost::math::normal(), cl); }

double twoSidedZ(double cl) {
  return boost::math::quantile(boost::math::normal(), 0.5 * (1.0 + cl));
}

double chi2Quantile(double cl) {
  return boost::math::quantile(boost::math::chi_squared(1.0), cl);
}

double chi2Upper(double x, double bound, double cl) {
  if (std::isnan(x)) return x;
  if (x <= 0.0) return 0.0;
  const double t = x * oneSidedZ(cl) / bound;
  return t * t;
}

double chi2Lower(double x, double bound, double cl) {
  if (std::isnan(x)) return x;
  if (x <= 0.0) return kInfinity;
  const double t = oneSidedZ(cl) * bound / x;
  return t * t;
}

double chi2Gaussian(double x, double mean, double sigma) {
  const double t = (x - mean) / sigma;
  return t * t;
}

double chi2Window(double x, double low, double high, double cl) {
  const double sigma = 0.5 * (high - low) / twoSidedZ(cl);
  return chi2Gaussian(x, 0.5 * (low + high), sigma);
}

double rescaleUpper(double bound, double fromCl, double toCl) {
  return bound * oneSidedZ(toCl) / oneSidedZ(fromCl);
}

double rescaleLower(double bound, double fromCl, double toCl) {
  return bound * oneSidedZ(fromCl) / oneSidedZ(toCl);
}

}  // namespace portalscan::constraints::stats
