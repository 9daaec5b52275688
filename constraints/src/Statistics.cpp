#include "portalscan/constraints/Statistics.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include <cmath>

namespace portalscan::constraints::stats {

double oneSidedZ(double cl) { return boost::math::quantile(boost::math::normal(), cl); }

double limitZ(double cl) { return twoSidedZ(cl); }

double twoSidedZ(double cl) {
  return boost::math::quantile(boost::math::normal(), 0.5 * (1.0 + cl));
}

double chi2Quantile(double cl) { return boost::math::quantile(boost::math::chi_squared(1.0), cl); }

double chi2Upper(double x, double bound, double cl) { return chi2UpperZ(x, bound, limitZ(cl)); }

double chi2Lower(double x, double bound, double cl) { return chi2LowerZ(x, bound, limitZ(cl)); }

double chi2Gaussian(double x, double mean, double sigma) {
  const double t = (x - mean) / sigma;
  return t * t;
}

double chi2Window(double x, double low, double high, double cl) {
  const double sigma = 0.5 * (high - low) / twoSidedZ(cl);
  return chi2Gaussian(x, 0.5 * (low + high), sigma);
}

double rescaleUpper(double bound, double fromCl, double toCl) {
  return bound * limitZ(toCl) / limitZ(fromCl);
}

double rescaleLower(double bound, double fromCl, double toCl) {
  return bound * limitZ(fromCl) / limitZ(toCl);
}

}  // namespace portalscan::constraints::stats
