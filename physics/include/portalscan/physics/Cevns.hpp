#pragma once
/// Coherent elastic neutrino-nucleus scattering into a massive neutral
/// fermion, nu + N -> chi + N (CN Sec. IV.C, Eqs. 21-35).
///
/// Energies and masses in GeV; cross sections dsigma/dT in GeV^-3; rates per
/// unit fluence of the source and per nucleus, so dN/dT is in GeV^-1 x
/// (fluence in GeV^2) — the callers multiply by the fluence (cm^-2 converted)
/// and the number of nuclei. Z-exchange rates are for |U_l chi|^2 = 1, scalar
/// rates for |U_H|^2 = 1 (CN Eq. 34); the Standard Model is the Z rate at m = 0.
/// Every difference between a massive and a massless rate is computed as such
/// (never as a difference of two rates), so that deviations of 1e-9 keep their
/// digits.

#include "portalscan/physics/NeutrinoSources.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

namespace portalscan::physics::cevns {

// --- Nuclei ---

struct Nucleus {
  const char* name;
  int Z;
  int N;
  double mass;        ///< GeV
  double helmRadius;  ///< r_n of the Helm form factor, fm (helmRadiusFm(A))
  int A() const { return Z + N; }
};

/// 133Cs and 127I, the two nuclei of CsI, counted separately (audit §2.4);
/// nuclear masses from the atomic ones minus the electrons.
Nucleus caesium133();
Nucleus iodine127();
/// A nucleus of mass A u (the audit's kinematic checks use A = 100).
Nucleus withMassNumber(int Z, int N);

/// Weak charge Q_W = N - Z (1 - 4 sin^2 theta_W) with the low-energy
/// sin^2 theta_W = 0.23857 (shared/physics.md; CN Sec. IV.C).
double weakCharge(const Nucleus& nucleus);

/// Helm form factor F(q) = 3 j_1(q r_n)/(q r_n) exp(-(q s)^2/2) with the
/// parameters of J. D. Lewin and P. F. Smith, Astropart. Phys. 6 (1996) 87:
/// s = 0.9 fm, r_n^2 = c^2 + (7/3) pi^2 a^2 - 5 s^2, c = 1.23 A^(1/3) - 0.60 fm,
/// a = 0.52 fm; q = sqrt(2 M T + T^2). Used for both F_Z and F_H (CN notes
/// they may differ; no separate scalar form factor is known).
double helmFormFactor(const Nucleus& nucleus, double recoil);
/// r_n of the Helm form factor, fm.
double helmRadiusFm(int massNumber);

// --- Kinematics (CN Eqs. 22, 23, 28) ---

/// cos theta of the recoiling nucleus for recoil T (CN Eq. 22, Fig. 3c).
double cosTheta(double energy, double recoil, double nucleusMass, double fermionMass);

struct RecoilRange {
  double lower;  ///< T_-
  double upper;  ///< T_+
};
/// T_-(E) and T_+(E) (CN Eq. 23); none below the production threshold. T_-
/// comes from T_+ T_- = m^4/(4 M (M + 2E)), free of cancellation.
std::optional<RecoilRange> recoilRange(double energy, double nucleusMass, double fermionMass);

/// The smallest neutrino energy that gives recoil T (CN Eq. 28).
double minimumEnergy(double recoil, double nucleusMass, double fermionMass);

/// The smallest neutrino energy with T_+(E) >= T: Eq. 28 above the turning
/// point of the allowed region, the production threshold below it.
double minimumEnergyForThreshold(double threshold, double nucleusMass, double fermionMass);

// --- Cross sections ---

/// dsigma/dT of Z exchange for |U|^2 = 1 (CN Eq. 25), with F_Z^2; zero outside
/// [T_-, T_+]. At m = 0 the Standard Model cross section.
double zCrossSection(double energy, double recoil, const Nucleus& nucleus, double fermionMass);
/// The same for a point-like nucleus (F = 1).
double zCrossSectionPointlike(double energy, double recoil, const Nucleus& nucleus,
                              double fermionMass);
/// dsigma/dT(m) - dsigma/dT(0) where both are allowed: the m^2 term of Eq. 25,
/// -(G_F^2 Q_W^2 M/4pi) (m^2/4E^2)(2E/M - T/M + 1) F^2.
double zCrossSectionMassTerm(double energy, double recoil, const Nucleus& nucleus,
                             double fermionMass);

/// CN Eq. 26 divided by |U_H|^2 of Eq. 34: (G_F^2 Q_W^2 M/4pi)(1 + T/2M)
/// (M T/E^2 + m^2/2E^2) F^2 — the scalar rate in the units of CN Fig. 4(b,d).
double scalarCrossSectionPerUH2(double energy, double recoil, const Nucleus& nucleus,
                                double fermionMass);

/// The scalar portal of a model point.
struct ScalarPortal {
  double yChi;      ///< H-nu-chi coupling, y_e f_R v_s/(sqrt2 M_N) (CN Sec. II)
  double sinAlpha;  ///< phi^0-h mixing
  double vs;        ///< U(1)_s vev, GeV
  double mPhi;      ///< phi^0 mass, GeV
};
/// eta of g_Hnn = g m_n eta/(2 M_W), 0.3 as CN state. Their Eq. 34 coefficient
/// 7e-5 corresponds to eta = 0.40 (audit §2.4); with 0.3 it is 3.9e-5.
inline constexpr double kHiggsNucleonEta = 0.3;
/// g_HNN = eta M/v, CN's g_Hnn with m_n -> M.
double higgsNucleusCoupling(const Nucleus& nucleus);
/// P_chi = c_alpha + s_alpha (v/v_s)(M_H^2/m_phi^2) (CN Eq. 35).
double pChi(const ScalarPortal& portal);
/// |U_H|^2 = y_chi^2 g_HNN^2 P_chi^2/(M_H^4 G_F^2 Q_W^2) (CN Eq. 34, first form).
double uH2(const Nucleus& nucleus, const ScalarPortal& portal);
/// CN Eq. 26 as printed (an s_alpha^2/m_phi^2 term of the mixing factor is
/// omitted there, audit §2.4): y_chi^2 g_HNN^2/(4pi) M c_alpha^2
/// (1/M_H^2 + v t_alpha/(v_s m_phi^2))^2 (1 + T/2M)(M T/E^2 + m^2/2E^2) F_H^2.
double scalarCrossSection(double energy, double recoil, const Nucleus& nucleus, double fermionMass,
                          const ScalarPortal& portal);

// --- Sources and rates (CN Eq. 27) ---

enum class Flavour { Electron, Muon };

/// One component of a source: a line, or a spectrum on [min, max].
struct Flux {
  const char* name;
  Flavour flavour;
  double weight;                           ///< neutrinos per unit of the source's fluence
  double line;                             ///< the line's energy, or 0 for a spectrum
  std::function<double(double)> spectrum;  ///< 1/GeV, integrating to 1 on [min, max]
  double min;
  double max;
  /// Gamma(m)/Gamma(0) of the decay that makes this component: how often it
  /// emits a state of mass m per unit |U_alpha i|^2, 0 where it cannot
  /// (NeutrinoSources.hpp); empty: 1 for every mass. Used by the
  /// non-unitarity rates of erratum E1 (LowEnergySignals.hpp).
  std::function<double(double)> emission = {};
};

/// pi+ and mu+ decay at rest: the 29.79 MeV nu_mu line and the Michel nu_e and
/// nubar_mu spectra, one of each per unit fluence (phi_0 of CN Eq. 29), with
/// the emission factors of pi+ -> mu+ nu_i and mu+ decay.
std::vector<Flux> spallationSource();
/// Reactor electron antineutrinos, the Huber-Mueller spectrum on [2, 8] MeV,
/// one antineutrino per unit fluence, with the beta-decay emission factor.
std::vector<Flux> reactorSource(
    const sources::FissionFractions& fractions = sources::kTypicalReactor);

enum class Process { Z, Scalar };

/// dN/dT = int dE phi(E) dsigma/dT(E, T) for one component (CN Eq. 27), per
/// unit fluence and per nucleus: Z exchange for |U|^2 = 1, or scalar exchange
/// for |U_H|^2 = 1.
double rate(const Flux& flux, const Nucleus& nucleus, double recoil, double fermionMass,
            Process process);
/// dN/dT(m) - dN/dT(0) of Z exchange, computed without cancellation.
double zRateShift(const Flux& flux, const Nucleus& nucleus, double recoil, double fermionMass);
/// The number of Z-exchange events above a recoil threshold, int_{T_th} dN/dT dT.
double zCount(const Flux& flux, const Nucleus& nucleus, double threshold, double fermionMass);
/// zCount(m) - zCount(0), computed without cancellation.
double zCountShift(const Flux& flux, const Nucleus& nucleus, double threshold, double fermionMass);

// --- A vector mediator at a pion-decay-at-rest source (model lfv_nsi) ---
//
// The coherent cross section of nu_a + N -> nu_b + N with the Standard Model
// Z and a vector Z' of mass m, coupled to the nucleons with the vector
// couplings g_p, g_n and to the neutrinos with a left-handed coupling. At
// the amplitude level (the Z' exchange next to the Z one, Freedman, Phys.
// Rev. D 9 (1974) 1389; for the contact limit J. Barranco, O. G. Miranda,
// T. I. Rashba, JHEP 12 (2005) 021, hep-ph/0508299, Eq. 2):
//   dsigma/dT(nu_a -> nu_b) = (G_F^2 M/pi) (1 - T/E - M T/2E^2 + T^2/2E^2) F^2(T) |C_ab|^2,
//   C_aa = -Q_W/2 + g_aa K(T),  C_ab = g_ab K(T) (b != a),
//   K(T) = (Z g_p + N g_n) / (sqrt2 G_F (m^2 + Q^2)),  Q^2 = 2 M T exactly (elastic recoil),
// with Q_W = N - Z (1 - 4 sin^2 theta_W) of weakCharge: the SM term alone is
// G_F^2 Q_W^2 M/(4 pi) (...) F^2, CN Eq. 25 at m = 0. The sign: the SM
// neutral current -sqrt2 G_F g_V (nubar gamma P_L nu)(fbar gamma f) sums to
// g_V^p Z + g_V^n N = -Q_W/2 on the nucleus; integrating out Z' gives
// -(g_nu g_f/(m^2 + Q^2)) (nubar gamma P_L nu)(fbar gamma f), the same sign
// convention. In the contact limit g K = Z eps^p_V + N eps^n_V with the
// global fits' vector NSI eps_V = eps^L + eps^R = g_nu g_f/(sqrt2 G_F m^2),
// Barranco et al.'s Eq. 2. The flavour-diagonal Z' term interferes with the
// SM charge; the off-diagonal ones (nu_a -> nu_b, b != a) add incoherently.
// An antineutrino has the conjugate amplitude: for vector couplings on both
// sides the same |C|^2.

/// 40Ar (Z = 18, N = 22), the CENNS-10 target; nuclear mass from the atomic
/// mass 39.9623831237 u (AME2020) minus the electrons.
Nucleus argon40();

/// The Z' couplings seen by one incoming neutrino flavour.
struct NeutrinoZprimeCouplings {
  double diagonal = 0.0;            ///< g_aa, interferes with the SM
  double offDiagonalSquared = 0.0;  ///< sum over b != a of g_ab^2, incoherent
};

/// A vector Z' at a pi-DAR source.
struct VectorMediator {
  double mass = 0.0;                 ///< m_Z', GeV (> 0)
  double protonCoupling = 0.0;       ///< g_p = 2 g_u + g_d (vector)
  double neutronCoupling = 0.0;      ///< g_n = g_u + 2 g_d (vector)
  NeutrinoZprimeCouplings electron;  ///< the nu_e of mu+ decay
  NeutrinoZprimeCouplings muon;      ///< the prompt nu_mu and the nubar_mu of mu+ decay
};

/// The SM CEvNS cross section averaged over the pi-DAR flux (the nu_mu line,
/// the nu_e and nubar_mu Michel spectra, one of each, spallationSource),
/// counting recoils T >= threshold only: (1/3) sum_c int dE phi_c(E)
/// int_{max(threshold, 0)}^{T_+(E)} dsigma/dT dT, in GeV^-2. At threshold 0
/// it is the flux-averaged total cross section COHERENT quotes.
double snsAveragedCrossSection(const Nucleus& nucleus, double threshold);

/// The same average of dsigma(SM + Z') - dsigma(SM), computed as such (the
/// interference and the Z'^2 terms, never as a difference of two rates), for
/// recoils above the threshold, GeV^-2.
double snsAveragedCrossSectionShift(const Nucleus& nucleus, double threshold,
                                    const VectorMediator& zprime);

/// Fluence in GeV^2 from neutrinos per cm^2.
double fluenceFromPerCm2(double perCm2);

}  // namespace portalscan::physics::cevns

namespace portalscan::physics::cevns {

/// snsAveragedCrossSection and snsAveragedCrossSectionShift of one nucleus, tabulated in the Z'
/// mass at one threshold (> 0): the same physics, for a scan's every point.
///
/// Per incoming flavour f (nu_e; the nu_mu line and nubar_mu) the amplitudes are C_ff = -Q_W/2 +
/// g_ff X k(T) and C_fb = g_fb X k(T) (b != f), with X = Z g_p + N g_n and k = 1/(sqrt2 G_F (m^2
/// + 2 M T)) (Freedman, Phys. Rev. D 9 (1974) 1389; Barranco et al., hep-ph/0508299, Eq. 2), so
///   (1/3) sum_c int dE phi_c int_{T_th} dsigma/dT dT = (G_F^2 M/pi)/3 sum_f [Q_W^2/4 S0_f
///       - Q_W g_ff X S1_f(m) + (g_ff^2 + sum_b g_fb^2) X^2 S2_f(m)]
/// with S_n,f(m) = int_{T_th}^{T_+} w_f(T) k(T)^n dT, w_f the flux-averaged Freedman bracket
/// times F^2 of the components of flavour f (the off-diagonal C_fb have no SM part: no S1).
/// S0 is a number; S1 and S2 are tabulated in x = ln tau, tau = m^2/2M (k = 1/(2 sqrt2 G_F M
/// (T + tau))), as R_n = S_n (tau + T_c)^n (T_c = sqrt(T_th T_+)), which tend to constants at
/// both ends, by cubic Hermite interpolation with the exact derivatives (dS1/dtau = -S2, dS2/dtau
/// = -2 S3) on a grid of step 1/32; below tau = 1e-4 T_th and above tau = 1e4 T_+ by the series
/// in tau/T and T/tau, three terms with exact moments of w (the m -> 0 limit S_n -> int w T^-n,
/// the contact limit S_n -> tau^-n int w). The integrals over T: 10-point Gauss-Legendre in
/// ln T on panels at most 0.25 wide (against adaptive Gauss-Kronrod to 1e-12: < 1e-10).
/// Measured interpolation error (CevnsTable test, against the same sums without interpolation,
/// at every grid midpoint and 2000 random masses, 15 nucleus-threshold pairs): 1.8e-9 relative
/// at most.
///
/// At another threshold T (averages()), the sums over the recoils between T and T_th are added
/// to the table's or subtracted from them (or, for T above 2 T_th or the midpoint of [T_th, T_+],
/// those over [T, T_+] taken instead): no interpolation in the threshold, so the result depends
/// only on the point, never on what was evaluated before. Each thread keeps the quadrature
/// nodes of its last four such ranges (T and weight x w_f(T), from a range's second use) and
/// sums over them in the same order with the same products: the same bits as sums taken
/// afresh (which the reference path, reference::SlowPath, always takes).
class SnsZprimeTable {
 public:
  SnsZprimeTable(const Nucleus& nucleus, double threshold);

  double threshold() const { return threshold_; }
  /// snsAveragedCrossSection(nucleus, threshold), GeV^-2.
  double averagedCrossSection() const { return smTotal_; }
  /// snsAveragedCrossSectionShift(nucleus, threshold, z), GeV^-2.
  double averagedCrossSectionShift(const VectorMediator& z) const;
  /// The same with ln(m_Z'^2) given, so that one logarithm serves every table of a point (the
  /// grid's ln(m^2/2M) as ln(m^2) - ln(2M): equal up to that rounding, < 1e-15 relative).
  /// Inline (below): the kernel reads three tables per point.
  double averagedCrossSectionShift(const VectorMediator& z, double logMass2) const;
  /// averagedCrossSectionShift(z, logMass2) of two tables at once (lfv_nsi's 133Cs and 127I at
  /// one threshold): the tables as the two lanes of SSE2 registers, per lane the operations of
  /// the one-table read in the same order, so shifts[0] and shifts[1] have the same bits as two
  /// reads. Inline (below).
  static void averagedCrossSectionShifts(const SnsZprimeTable& first, const SnsZprimeTable& second,
                                         const VectorMediator& z, double logMass2,
                                         double shifts[2]);
  /// The grid's step in x = ln tau.
  static constexpr double kGridStep = 1.0 / 32.0;
  struct Averages {
    double sm;     ///< snsAveragedCrossSection, GeV^-2
    double shift;  ///< snsAveragedCrossSectionShift, GeV^-2
  };
  /// Both at any threshold in (0, T_+).
  Averages averages(const VectorMediator& z, double threshold) const;
  /// S_n,f(m) for n = 1, 2 in units of (2 sqrt2 G_F M)^-n, i.e. int w_f/(T + tau)^n dT
  /// (flavour 0: nu_e, 1: nu_mu and nubar_mu), from the table.
  double s(int n, int flavour, double zprimeMass) const;
  /// The same by the table's quadrature, without interpolation (for the tests).
  double sExact(int n, int flavour, double zprimeMass) const;

  /// S_n,f(tau) for n = 0, 1, 2 (index n) and both flavours f.
  using Values = std::array<std::array<double, 2>, 3>;

 private:
  struct Moments {
    double s0 = 0.0;
    std::array<double, 4> inverse{};  ///< int w T^-k, k = 1..4
    std::array<double, 3> moment{};   ///< int w T^j, j = 0..2
  };
  Values values(double tau) const;
  /// values(tau) with x = ln tau given (used only between tauLow_ and tauHigh_).
  Values values(double tau, double logTau) const;
  Values exact(double tau, double* s3) const;
  /// The sums over [a, b] at tau, by the quadrature of the table.
  Values partial(double a, double b, double tau) const;
  double combine(const Values& s, const VectorMediator& z) const;
  /// The grid cell holding x = ln tau and its cubic Hermite weights (values at a, b; the
  /// derivatives, scaled by the step, at a + 4, b + 4).
  struct Cell {
    const std::array<double, 8>* a;
    const std::array<double, 8>* b;
    double h00, h10, h01, h11;
  };
  Cell cellAt(double x) const;

  Nucleus nucleus_;
  double halfWeakCharge_;
  double threshold_;
  double lineTop_, top_;
  double tc_;
  double tauLow_, tauHigh_, x0_;
  double logTwoMass_;      ///< ln(2M): ln tau = ln(m^2) - ln(2M)
  double inverseTwoMass_;  ///< 1/(2M)
  double kNormUnit_;       ///< 1/(2 sqrt2 G_F M): k(T) = X kNormUnit_/(T + tau)
  double prefactor_;       ///< G_F^2 M/(3 pi)
  double smTotal_;
  std::vector<double> nodeT_, nodeWeight_;
  std::array<std::vector<double>, 2> nodeW_;  ///< w_f at the nodes
  std::array<Moments, 2> flavours_;
  /// At x_i = ln tauLow + i step: R1, R2 of flavour 0, R1, R2 of flavour 1, then their
  /// d/dx in the same order (R1_f at 2 f, R2_f at 2 f + 1, the derivatives 4 further).
  std::vector<std::array<double, 8>> grid_;
  int gridLastCell_ = 0;                   ///< grid_.size() - 2, the last cell's first row
  double protons_ = 0.0, neutrons_ = 0.0;  ///< Z and N as doubles (no conversion per read)
  double minusWeakCharge_ = 0.0;           ///< -2 halfWeakCharge_ (exact)
};

inline double SnsZprimeTable::averagedCrossSectionShift(const VectorMediator& z,
                                                        double logMass2) const {
  // values() and combine() fused for the grid (the scanned masses): only S1, S2 of the two
  // flavours, no Values; the constants of combine() folded into kNormUnit_ and prefactor_; the
  // cell look-up of cellAt() in line (the same arithmetic).
  const double tau = z.mass * z.mass * inverseTwoMass_;
  if (!(tau > tauLow_ && tau < tauHigh_)) return combine(values(tau), z);
  const double charge = protons_ * z.protonCoupling + neutrons_ * z.neutronCoupling;
  if (charge == 0.0) return 0.0;
  const double position = (logMass2 - logTwoMass_ - x0_) / kGridStep;
  const int i = std::min(static_cast<int>(position), gridLastCell_);
  const double u = position - i, v = 1.0 - u;
  // The cubic Hermite basis on [x_i, x_i+1], the derivatives scaled by the step.
  const double h00 = (1.0 + 2.0 * u) * v * v, h10 = kGridStep * u * v * v,
               h01 = u * u * (3.0 - 2.0 * u), h11 = -kGridStep * u * u * v;
  const double* a = grid_.data()[i].data();
  const double* b = a + 8;
  const double c = 1.0 / (tau + tc_);
  const double k = charge * kNormUnit_;
  // As combine(): sum_f -Q_W g_ff X k S1_f + (g_ff^2 + sum_b g_fb^2) X^2 k^2 S2_f.
  // The row holds S1_0, S2_0, S1_1, S2_1 (values, then derivatives): two pairs of lanes in SSE2
  // registers (GCC/Clang vector extensions), per lane the products and sums of the scalar
  // weight[j] (h00 a[j] + h10 a[j + 4] + h01 b[j] + h11 b[j + 4]) in the same order, and the four
  // terms summed as before (0 + t0 + t1 + t2 + t3): the same bits with half the multiplications.
  // The weights -Q_W X k d_f c and X^2 k^2 (d_f^2 + o_f) c c: lane 0 times an exact 1.
  using Pair = double __attribute__((vector_size(16)));
  const double d0 = z.electron.diagonal, d1 = z.muon.diagonal;
  const Pair kk = {minusWeakCharge_ * k, k * k};
  const Pair cc = {c, c}, c1 = {1.0, c};
  const Pair w01 = kk * Pair{d0, d0 * d0 + z.electron.offDiagonalSquared} * cc * c1;
  const Pair w23 = kk * Pair{d1, d1 * d1 + z.muon.offDiagonalSquared} * cc * c1;
  Pair a01, a23, a45, a67, b01, b23, b45, b67;
  std::memcpy(&a01, a, sizeof a01);
  std::memcpy(&a23, a + 2, sizeof a23);
  std::memcpy(&a45, a + 4, sizeof a45);
  std::memcpy(&a67, a + 6, sizeof a67);
  std::memcpy(&b01, b, sizeof b01);
  std::memcpy(&b23, b + 2, sizeof b23);
  std::memcpy(&b45, b + 4, sizeof b45);
  std::memcpy(&b67, b + 6, sizeof b67);
  const Pair t01 = w01 * (h00 * a01 + h10 * a45 + h01 * b01 + h11 * b45);
  const Pair t23 = w23 * (h00 * a23 + h10 * a67 + h01 * b23 + h11 * b67);
  double sum = 0.0;
  sum += t01[0];
  sum += t01[1];
  sum += t23[0];
  sum += t23[1];
  return prefactor_ * sum;
}

inline void SnsZprimeTable::averagedCrossSectionShifts(const SnsZprimeTable& first,
                                                       const SnsZprimeTable& second,
                                                       const VectorMediator& z, double logMass2,
                                                       double shifts[2]) {
  // averagedCrossSectionShift(z, logMass2) above, lane 0 the first table, lane 1 the second.
  using Pair = double __attribute__((vector_size(16)));
  const SnsZprimeTable& f = first;
  const SnsZprimeTable& g = second;
  const Pair tau = z.mass * z.mass * Pair{f.inverseTwoMass_, g.inverseTwoMass_};
  const Pair charge = Pair{f.protons_, g.protons_} * z.protonCoupling +
                      Pair{f.neutrons_, g.neutrons_} * z.neutronCoupling;
  // Off either grid (the series in tau) or without a charge: one table at a time.
  if (!(tau[0] > f.tauLow_ && tau[0] < f.tauHigh_ && tau[1] > g.tauLow_ && tau[1] < g.tauHigh_) ||
      charge[0] == 0.0 || charge[1] == 0.0) {
    shifts[0] = f.averagedCrossSectionShift(z, logMass2);
    shifts[1] = g.averagedCrossSectionShift(z, logMass2);
    return;
  }
  const Pair position =
      (logMass2 - Pair{f.logTwoMass_, g.logTwoMass_} - Pair{f.x0_, g.x0_}) / kGridStep;
  const int i = std::min(static_cast<int>(position[0]), f.gridLastCell_);
  const int j = std::min(static_cast<int>(position[1]), g.gridLastCell_);
  const Pair u = position - Pair{static_cast<double>(i), static_cast<double>(j)}, v = 1.0 - u;
  // The cubic Hermite basis on [x_i, x_i+1], the derivatives scaled by the step.
  const Pair h00 = (1.0 + 2.0 * u) * v * v, h10 = kGridStep * u * v * v,
             h01 = u * u * (3.0 - 2.0 * u), h11 = -kGridStep * u * u * v;
  const double* fa = f.grid_.data()[i].data();
  const double* ga = g.grid_.data()[j].data();
  const double* fb = fa + 8;
  const double* gb = ga + 8;
  const Pair c = 1.0 / (tau + Pair{f.tc_, g.tc_});
  const Pair k = charge * Pair{f.kNormUnit_, g.kNormUnit_};
  const Pair mk = Pair{f.minusWeakCharge_, g.minusWeakCharge_} * k;
  const double d0 = z.electron.diagonal, d1 = z.muon.diagonal;
  const Pair weight[4] = {mk * d0 * c, k * k * (d0 * d0 + z.electron.offDiagonalSquared) * c * c,
                          mk * d1 * c, k * k * (d1 * d1 + z.muon.offDiagonalSquared) * c * c};
  Pair sum = {0.0, 0.0};
  for (int n = 0; n < 4; ++n) {
    sum += weight[n] * (h00 * Pair{fa[n], ga[n]} + h10 * Pair{fa[n + 4], ga[n + 4]} +
                        h01 * Pair{fb[n], gb[n]} + h11 * Pair{fb[n + 4], gb[n + 4]});
  }
  const Pair shift = Pair{f.prefactor_, g.prefactor_} * sum;
  shifts[0] = shift[0];
  shifts[1] = shift[1];
}

}  // namespace portalscan::physics::cevns
