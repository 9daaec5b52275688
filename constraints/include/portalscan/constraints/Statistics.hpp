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
///   with sigma = L / z(CL), z the one-sided normal quantile (1.6449 at 95%,
///   1.2816 at 90%): chi2 = (x z / L)^2 for x > 0, 0 for x <= 0.
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
/// Two-sided quantile z with P(|Z| < z) = cl.
double twoSidedZ(double cl);
/// The chi^2 (1 dof) value below which a fraction cl lies.
double chi2Quantile(double cl);

double chi2Upper(double x, double bound, double cl);
double chi2Lower(double x, double bound, double cl);
double chi2Gaussian(double x, double mean, double sigma);
double chi2Window(double x, double low, double high, double cl);

/// The upper bound at `toCl` that gives the chi2 of `bound` at `fromCl`
/// under the half-normal convention: bound z(to) / z(from).
double rescaleUpper(double bound, double fromCl, double toCl);
/// The lower bound at `toCl` (reciprocal convention): bound z(from) / z(to).
double rescaleLower(double bound, double fromCl, double toCl);

inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace portalscan::constraints::stats
