#pragma once
/// The likelihood conventions: each statistical kind's Delta chi^2 (as
/// -2 ln L relative to the best case), and the rescaling of a cut from the
/// CL a limit was published at to another. docs/constraints.md "Statistics"
/// states them with a worked example. A referee will recognise them: they are
/// those of flavio's probability module and of GAMBIT's likelihoods for
/// limits without a published likelihood.
///
/// - Gaussian mu +- sigma: chi2 = ((x - mu)/sigma)^2.
/// - Upper limit L at CL, no central value published: a half-normal at zero
///   whose CL quantile is L, sigma = L / z with z = Phi^-1((1 + CL)/2)
///   (1.9600 at 95%, 1.6449 at 90%): chi2 = (x z / L)^2 for x > 0, 0 for
///   x <= 0. At x = L the chi2 is z^2, the chi^2 (1 dof) quantile of the CL
///   (3.84 at 95%): the cut, a Gaussian's cut and a 1-D profile at Wilks'
///   level all put the bound where the experiment put it.
/// - Lower limit L at CL: the same convention on the reciprocal (a lifetime
///   bound is a bound on the rate 1/tau; a mass bound on 1/m): chi2 =
///   (z L / x)^2 for x > 0, +inf for x <= 0.
/// - Window [low, high] at CL: a two-sided interval, Gaussian with mean at
///   the centre and sigma = (high - low) / (2 z2), z2 the two-sided quantile
///   (1.9600 at 95%).
/// - Curve: upper or lower (by its excluded side) with L = L(x).
/// - Region: no likelihood is published with a contour: 0 outside, +inf
///   inside (a hard cut, which cannot be rescaled to another CL).

#include <limits>

namespace portalscan::constraints::stats {

/// One-sided standard-normal quantile z with P(Z < z) = cl.
double oneSidedZ(double cl);
/// The z of a limit at `cl`: the half-normal with sigma = limit/z has its cl quantile at the
/// limit, so z = Phi^-1((1 + cl)/2) (the two-sided quantile).
double limitZ(double cl);
/// Two-sided quantile z with P(|Z| < z) = cl.
double twoSidedZ(double cl);
/// The chi^2 (1 dof) value below which a fraction cl lies.
double chi2Quantile(double cl);

double chi2Upper(double x, double bound, double cl);
double chi2Lower(double x, double bound, double cl);

/// The same with z = limitZ(cl) already computed (the chain's hot path).
inline double chi2UpperZ(double x, double bound, double z) {
  if (!(x > 0.0)) return x <= 0.0 ? 0.0 : x;  // NaN stays NaN
  const double t = x * z / bound;
  return t * t;
}
inline double chi2LowerZ(double x, double bound, double z) {
  if (!(x > 0.0)) return x <= 0.0 ? std::numeric_limits<double>::infinity() : x;
  const double t = z * bound / x;
  return t * t;
}
double chi2Gaussian(double x, double mean, double sigma);
double chi2Window(double x, double low, double high, double cl);

/// The upper bound at `toCl` that gives the chi2 threshold of `toCl` under the
/// half-normal convention of a limit published at `fromCl`: bound z(to)/z(from).
double rescaleUpper(double bound, double fromCl, double toCl);
/// The lower bound at `toCl` (reciprocal convention): bound z(from) / z(to).
double rescaleLower(double bound, double fromCl, double toCl);

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace portalscan::constraints::stats
