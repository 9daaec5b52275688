#!/usr/bin/python3
"""numpy peer of portalscan's hidden_kev_fermion kernel and default constraint chain.

What a careful physicist would write with numpy alone (issue 15): the same
physics as physics/src (HiddenKevFermion.cpp and the files it calls), as array
operations over every point of the scan at once. Root finds are vectorised and
bracketed (Illinois regula falsi with bisection safeguard, or Newton inside a
bracket) and iterate only on the points not yet converged; the maximum of chi's
production rate over H is Boost's Brent minimisation, step for step, on arrays.
Tables the C++ builds once (thermal weights, g_*(T), contact thresholds, the
charged-species sum, the decay-entropy increment, the phi^0 freeze-in integrals,
chi's continuum suppression S(a) and its four freeze-in yield integrals in the
vector mass) are built once here
from the same integrals and interpolated the same way (uniform cubic B-splines
with Boost's end conditions, or linear where the C++ is linear); the limit
curves are read from constraints/data/limits/ and the limits from
constraints/data/catalogue.json. Output: h5py, gzip level 1 with shuffle, the
layout of docs/hdf5-format.md for the columns it writes.

Run:  /usr/bin/python3 tests/bench/peer/peer.py CONFIG.json [-o OUT.h5] [--no-write]
Only model hidden_kev_fermion, the grid sampler and "constraints": "default"
are supported (what the quick start uses); anything else is refused (exit 2).
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))

# --- constants: physics/include/portalscan/physics/Units.hpp (PDG 2024, Planck 2018) ---
hbar_GeV_s = 6.582119569e-25
hbarc_GeV_cm = 1.973269804e-14
G_F = 1.1663788e-5
M_W = 80.3692
M_Z = 91.1880
M_H = 125.20
alpha_em = 1.0 / 137.035999177
v_ew = 1.0 / math.sqrt(math.sqrt(2.0) * G_F)
g2 = 2.0 * M_W / v_ew
sin2W = 1.0 - (M_W * M_W) / (M_Z * M_Z)
Gamma_H_SM = 4.10e-3
Gamma_Z_nunu = 167.2e-3
BR_Z_mumu = 0.033662
BR_Z_bb = 0.1512
m_e, m_mu, m_tau = 0.51099895e-3, 0.1056583755, 1.77693
m_pi, m_pi0, m_K = 0.13957039, 0.1349768, 0.493677
m_D0, m_B = 1.86484, 5.27934
m_u, m_d, m_s, m_c, m_b, m_t = 2.16e-3, 4.70e-3, 0.093, 1.27, 4.18, 172.57
alpha_s_MZ = 0.1180
M_Pl = 1.22089e19
t_U = 13.797 * 1e9 * 3.15576e7
s0_cm3 = 2891.2
rhoc_h2 = 1.05367e-5
h_H0 = 0.674
OmegaCh2 = 0.1200
zeta3 = 1.2020569031595942853997
pi = math.pi
sqrt2 = math.sqrt(2.0)

T_QCD = 0.150          # ThermalHistory.hpp
T_NUDEC = 2.0e-3
T_MIN, T_MAX = 1.0e-6, 1.0e5
T_EW = 159.5           # ChiFreezeOut.hpp (D'Onofrio & Rummukainen arXiv:1508.07161)
FREEZEOUT_VALIDITY = 0.5
FREEZE_IN_RATIO, THERMAL_RATIO = 0.1, 10.0   # ScalarFreezeIn.hpp
HADRONIC_LOW, HADRONIC_HIGH = 1.5, 2.5       # ScalarDecays.hpp (erratum E5)
MIXING_FLOOR = 1e-30
WDM_SHARE_TESTED = 0.35
EPS = np.finfo(float).eps

# Point status codes (physics/include/portalscan/physics/Status.hpp).
OK, UNPHYSICAL, SOLVER_FAILED, OBS_NAN, FREEZEOUT_INVALID, PHI_PARTLY = 0, 2, 3, 5, 7, 8
CHI_PARTLY = 11

# Parameters of hidden_kev_fermion in model order with their defaults (HiddenKevFermion.cpp,
# parameterSpecs). The bench checks these against the /parameters columns portalscan writes.
PARAMETERS = [("M_N", 1e14), ("y_e", 0.3), ("y_mu", 0.0), ("y_tau", 0.0), ("f_L", 1e-3),
              ("f_R", 1e-3), ("v_s", 1000.0), ("M_chi", 2.5e-5), ("epsilon", 6.5e-9), ("g_s", 1.0),
              ("m_phi", 2.0), ("kappa", 2e-9), ("T_threshold_sns", 5e-6),
              ("T_threshold_reactor", 1e-7), ("R_detector", 7.3)]


def fail(message):
    print("peer.py: " + message, file=sys.stderr)
    sys.exit(2)


# ----------------------------------------------------------------------------------------
# Numerical tools
# ----------------------------------------------------------------------------------------
class CardinalCubicBSpline:
    """Boost's cardinal_cubic_b_spline (interpolating uniform cubic B-spline, end
    derivatives from its one-sided difference formula), evaluated on arrays."""

    def __init__(self, f, left, step):
        f = [float(x) for x in f]
        n = len(f)
        hinv = 1.0 / step
        a1 = hinv * (4 * (f[1] + f[3] / 3.0) + (-(25.0 / 3.0 * f[0] + f[4]) / 4 - 3 * f[2]))
        m = n - 1
        b1 = hinv * (4 * (f[m - 3] + f[m - 1] / 3.0) + (-(25.0 / 3.0 * f[m - 4] + f[m]) / 4
                                                         - 3 * f[m - 2]))
        avg, t = 0.0, 1.0
        for x in f:
            avg += (x - avg) / t
            t += 1
        size = n + 2
        rhs = [0.0] * size
        sup = [0.0] * size
        rhs[0] = -2 * step * a1
        rhs[-1] = -2 * step * b1
        for i in range(1, size - 1):
            rhs[i] = 6 * (f[i - 1] - avg)
            sup[i] = 1.0
        sup[1] = 0.5
        rhs[1] = (rhs[1] - rhs[0]) / 4
        for i in range(2, size - 1):
            diag = 4 - sup[i - 1]
            rhs[i] = (rhs[i] - rhs[i - 1]) / diag
            sup[i] /= diag
        final_sub = -sup[size - 3]
        rhs[size - 1] = (rhs[size - 1] - rhs[size - 3]) / final_sub
        final_diag = -1 / final_sub - sup[size - 2]
        rhs[size - 1] = rhs[size - 1] - rhs[size - 2]
        beta = [0.0] * size
        beta[size - 1] = rhs[size - 1] / final_diag
        for i in range(size - 2, 0, -1):
            beta[i] = rhs[i] - sup[i] * beta[i + 1]
        beta[0] = beta[2] + rhs[0]
        self.beta = np.array(beta)
        self.hinv, self.a, self.avg = hinv, float(left), avg
        # The same spline as a cubic polynomial in u = t - i on each cell i = floor(t),
        # t = (x - left)/step + 1 (Boost's variable): S = avg + sum_j beta[i-1+j] b3(u+1-j).
        b = np.concatenate([self.beta, [0.0, 0.0]])
        i = np.arange(1, size)
        c0, c1, c2, c3 = b[i - 1], b[i], b[i + 1], b[i + 2]
        self.coef = np.stack([avg + (c0 + 4.0 * c1 + c2) / 6.0,        # u^0
                              (-c0 + c2) / 2.0,                        # u^1
                              (c0 - 2.0 * c1 + c2) / 2.0,              # u^2
                              (-c0 + 3.0 * c1 - 3.0 * c2 + c3) / 6.0])  # u^3
        self.cells = size - 1        # cells i = 1 .. size-1 (x from left to the last node)

    def __call__(self, x):
        return evaluate_splines([self], np.zeros(np.shape(x), dtype=np.intp), x)


def evaluate_splines(splines, which, x):
    """Evaluates splines[which[k]] at x[k] for every k at once (one gather, one Horner)."""
    key = tuple(id(sp) for sp in splines)
    packed = _PACKED.get(key)
    if packed is None:
        coef = np.concatenate([sp.coef for sp in splines], axis=1)
        offset = np.cumsum([0] + [sp.coef.shape[1] for sp in splines])[:-1]
        packed = (coef, offset - 1, np.array([sp.a for sp in splines]),
                  np.array([sp.hinv for sp in splines]),
                  np.array([sp.cells for sp in splines]))
        _PACKED[key] = packed
    coef, offset, left, hinv, cells = packed
    t = hinv[which] * (np.asarray(x, dtype=float) - left[which]) + 1.0
    i = np.minimum(np.maximum(np.floor(np.nan_to_num(t)), 1.0), cells[which]).astype(np.intp)
    u = t - i
    j = offset[which] + i
    return ((coef[3, j] * u + coef[2, j]) * u + coef[1, j]) * u + coef[0, j]


_PACKED = {}


def bessel_k(nu, x, nodes=48):
    """K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt (x > 0) by the trapezoid rule on
    [0, acosh(1 + 40/x)]: the integrand is even and analytic in a strip of half-width
    pi/2, so the rule converges like exp(-pi^2/h) (h < 0.3 here: below 1e-13)."""
    x = np.asarray(x, dtype=float)
    tmax = np.arccosh(1.0 + 40.0 / x)
    s = np.linspace(0.0, 1.0, nodes + 1)
    t = tmax[..., None] * s
    w = np.full(nodes + 1, 1.0)
    w[0] = w[-1] = 0.5
    f = np.exp(-x[..., None] * (np.cosh(t) - 1.0)) * np.cosh(nu * t)
    return np.exp(-x) * tmax / nodes * (f @ w)


def bracketed_root(f, lo, hi, flo, fhi, xtol, maxiter=200):
    """Roots of increasing f on [lo, hi] (flo < 0 < fhi), for arrays: Illinois regula
    falsi, with a bisection after two steps in a row that did not halve the bracket (a jump
    across zero, as g_* at the QCD switch, converges onto the jump); each iteration
    evaluates f only on the points not yet converged (f(x, idx) gets their indices)."""
    lo, hi, flo, fhi = (np.array(a, dtype=float) for a in (lo, hi, flo, fhi))
    side = np.zeros(lo.shape, dtype=np.int8)   # 1: the last step moved lo, -1: hi, 0: bisection
    slow = np.zeros(lo.shape, dtype=np.int8)
    active = np.nonzero(np.abs(hi - lo) > xtol(lo, hi))[0]
    for _ in range(maxiter):
        if active.size == 0:
            break
        a, b, fa, fb = lo[active], hi[active], flo[active], fhi[active]
        x = b - fb * (b - a) / (fb - fa)
        bis = (slow[active] >= 2) | ~(x > a) | ~(x < b)
        x = np.where(bis, 0.5 * (a + b), x)
        fx = f(x, active)
        left = fx < 0.0
        s = side[active]
        # Illinois: the end kept twice in a row has its value halved.
        flo[active] = np.where(left, fx, np.where(s == -1, 0.5 * fa, fa))
        fhi[active] = np.where(~left, fx, np.where(s == 1, 0.5 * fb, fb))
        lo[active] = np.where(left, x, a)
        hi[active] = np.where(left, b, x)
        side[active] = np.where(bis, 0, np.where(left, 1, -1))
        halved = (hi[active] - lo[active]) <= 0.5 * (b - a)
        slow[active] = np.where(bis | halved, 0, slow[active] + 1)
        exact = fx == 0.0
        lo[active[exact]] = x[exact]
        hi[active[exact]] = x[exact]
        stuck = (x == a) | (x == b)              # adjacent doubles: nothing left to gain
        keep = (np.abs(hi[active] - lo[active]) > xtol(lo[active], hi[active])) & ~stuck
        active = active[keep]
    return 0.5 * (lo + hi)


def rel_tol(lo, hi):
    """As Boost's eps_tolerance(40), which the C++ root finds use (relative)."""
    return 2.0 ** -38 * np.minimum(np.abs(lo), np.abs(hi))


def log_tol(lo, hi):
    """For roots in ln T: relative as eps_tolerance(40), and 1e-15 absolute near ln T = 0."""
    return 2.0 ** -38 * np.minimum(np.abs(lo), np.abs(hi)) + 1e-15


# ----------------------------------------------------------------------------------------
# Thermal history (ThermalHistory.cpp)
# ----------------------------------------------------------------------------------------
BOSON, FERMION = 0, 1
ENERGY, ENTROPY, NUMBER = 0, 1, 2


def weight_integral(stat, moment, x, n=400):
    """Thermal moment of a species of mass x T over the massless boson's, for x > 0:
    p = x sinh u makes the integrand even and analytic in u, so the trapezoid rule converges
    spectrally (400 nodes agree with 4000 to 1e-14)."""
    x = np.asarray(x, dtype=float)[:, None]
    umax = np.arccosh(1.0 + 60.0 / x)

    u = umax * np.linspace(0.0, 1.0, n + 1)
    sh, ch = np.sinh(u), np.cosh(u)
    e = x * ch
    b = np.exp(-e)
    occ = b / (1.0 + (-1.0 if stat == BOSON else 1.0) * b)
    if moment == ENERGY:
        g = x ** 4 * sh * sh * ch * ch * occ
    elif moment == ENTROPY:
        g = x ** 4 * sh * sh * (ch * ch + sh * sh / 3.0) * occ
    else:
        g = x ** 3 * sh * sh * ch * occ
    w = np.full(n + 1, 1.0)
    w[0] = w[-1] = 0.5
    value = (g @ w) * umax[:, 0] / n
    norm = {ENERGY: 15.0 / pi ** 4, ENTROPY: 45.0 / (4.0 * pi ** 4), NUMBER: 1.0 / (2.0 * zeta3)}
    return value * norm[moment]


MASSLESS = {(BOSON, ENERGY): 1.0, (BOSON, ENTROPY): 1.0, (BOSON, NUMBER): 1.0,
            (FERMION, ENERGY): 7.0 / 8.0, (FERMION, ENTROPY): 7.0 / 8.0,
            (FERMION, NUMBER): 3.0 / 4.0}


class WeightTable:
    def __init__(self, stat, moment):
        n = int((2.0 - -4.0) * 100) + 1
        x = 10.0 ** (-4.0 + np.arange(n) / 100.0)
        self.spline = CardinalCubicBSpline(np.log(weight_integral(stat, moment, x)), -4.0, 0.01)
        self.massless = MASSLESS[(stat, moment)]

    def __call__(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lx = np.log10(np.where(x > 0.0, x, 1.0))
        inner = (x > 0.0) & (lx > -4.0) & (lx < 2.0)
        out = np.where(lx >= 2.0, 0.0, self.massless)
        if np.any(inner):
            out = np.where(inner, np.exp(self.spline(np.where(inner, lx, 0.0))), out)
        return out


WT = {}


def weight(stat, moment, x):
    return WT[(stat, moment)](x)


PLASMA_COMMON = [(2, 0.0, BOSON), (4, m_e, FERMION), (4, m_mu, FERMION), (4, m_tau, FERMION),
                 (6, M_W, BOSON), (3, M_Z, BOSON), (1, M_H, BOSON)]
QUARK_GLUON = [(16, 0.0, BOSON), (12, m_u, FERMION), (12, m_d, FERMION), (12, m_s, FERMION),
               (12, m_c, FERMION), (12, m_b, FERMION), (12, m_t, FERMION)]
HADRONS = [(2, m_pi, BOSON), (1, m_pi0, BOSON)]


def plasma_sum(T, moment):
    T = np.asarray(T, dtype=float)
    s = sum(d * weight(st, moment, m / T) for d, m, st in PLASMA_COMMON)
    qg = sum(d * weight(st, moment, m / T) for d, m, st in QUARK_GLUON)
    hd = sum(d * weight(st, moment, m / T) for d, m, st in HADRONS)
    return s + np.where(T >= T_QCD, qg, hd)


def gstar_direct(T, moment):
    T = np.asarray(T, dtype=float)
    before = plasma_sum(np.array([T_NUDEC]), ENTROPY)[0]
    r = np.where(T >= T_NUDEC, 1.0, np.cbrt(plasma_sum(T, ENTROPY) / before))
    power = 4.0 if moment == ENERGY else 3.0
    return plasma_sum(T, moment) + 6.0 * weight(FERMION, moment, 0.0) * r ** power


class GStarTable:
    def __init__(self, moment):
        edges = [math.log10(T_MIN), math.log10(T_NUDEC), math.log10(T_QCD), math.log10(T_MAX)]
        self.splines = []
        for piece in range(3):
            lo, hi = edges[piece], edges[piece + 1]
            n = max(8, int((hi - lo) * 60) + 1)
            step = (hi - lo) / (n - 1)
            lt = lo + np.arange(n) * step
            lt[-1] = hi - 1e-12
            self.splines.append(CardinalCubicBSpline(gstar_direct(10.0 ** lt, moment), lo, step))
        self.top = gstar_direct(np.array([T_MAX]), moment)[0]
        self.bottom = gstar_direct(np.array([T_MIN]), moment)[0]

    def __call__(self, T):
        T = np.asarray(T, dtype=float)
        lt = np.log10(np.minimum(np.maximum(T, T_MIN), T_MAX))
        piece = (T >= T_NUDEC).astype(np.intp) + (T >= T_QCD)
        out = evaluate_splines(self.splines, piece, lt)
        return np.where(T >= T_MAX, self.top, np.where(T <= T_MIN, self.bottom, out))


def hubble(T, g):
    return np.sqrt(8.0 * pi ** 3 * g / 90.0) * T * T / M_Pl


def equilibrium_yield(stat, dof, mass, T, gs):
    return 45.0 * zeta3 * dof * weight(stat, NUMBER, mass / T) / (2.0 * pi ** 4 * gs)


# ----------------------------------------------------------------------------------------
# Chi freeze-out (ChiFreezeOut.cpp)
# ----------------------------------------------------------------------------------------
class ThresholdTable:
    """F(r) = (1/384) int_{2r}^inf x^6 w(x) K_1(x) dx, x = 2r cosh u (even in u)."""

    def __init__(self, stat, m=300, k1_nodes=32):
        n = int((1.5 - -3.0) * 60) + 1
        r = 10.0 ** (-3.0 + np.arange(n) / 60.0)
        umax = np.arccosh(1.0 + 50.0 / r)
        u = umax[:, None] * np.linspace(0.0, 1.0, m + 1)
        x = 2.0 * r[:, None] * np.cosh(u)
        beta = np.tanh(u)
        q = 1.0 / np.cosh(u) ** 2
        wgt = beta * (1.0 + 0.5 * q) if stat == FERMION else beta ** 3
        k1 = bessel_k(1.0, x.ravel(), nodes=k1_nodes).reshape(x.shape)
        g = x ** 6 * wgt * k1 * 2.0 * r[:, None] * np.sinh(u)
        w = np.full(m + 1, 1.0)
        w[0] = w[-1] = 0.5
        F = (g @ w) * umax / m / 384.0
        self.spline = CardinalCubicBSpline(np.log(F), -3.0, 1.0 / 60.0)

    def __call__(self, r):
        r = np.asarray(r, dtype=float)
        lr = np.log10(np.where(r > 0.0, r, 1.0))
        out = np.where(lr >= 1.5, 0.0, 1.0)
        inner = (r > 0.0) & (lr > -3.0) & (lr < 1.5)
        return np.where(inner, np.exp(self.spline(np.where(inner, lr, 0.0))), out)


TH = {}


def charged_species_sum(T):
    f = lambda m: TH[FERMION](m / T)
    s = f(m_e) + f(m_mu) + f(m_tau)
    quarks = 3.0 * (4.0 / 9.0) * (f(m_u) + f(m_c) + f(m_t)) + \
        3.0 * (1.0 / 9.0) * (f(m_d) + f(m_s) + f(m_b))
    pions = 0.25 * TH[BOSON](m_pi / T)
    return s + np.where(T > T_QCD, quarks, pions)


class SpeciesSumTable:
    def __init__(self, tlo, thi):
        self.lo, self.hi = math.log10(tlo), math.log10(thi)
        n = int((self.hi - self.lo) * 100) + 2
        step = (self.hi - self.lo) / (n - 1)
        lt = np.clip(self.lo + np.arange(n) * step, self.lo + 1e-12, self.hi - 1e-12)
        self.spline = CardinalCubicBSpline(np.log(charged_species_sum(10.0 ** lt)), self.lo, step)

    def covers(self, T):
        lt = np.log10(T)
        return (lt >= self.lo) & (lt <= self.hi)

    def __call__(self, T):
        return np.exp(self.spline(np.log10(T)))


def tabulated_species_sum(T):
    direct_needed = np.where(T > T_QCD, ~((T < T_EW) & QUARKS.covers(T)), ~HADRONS_SUM.covers(T))
    above = T > T_QCD
    lt = np.log10(np.where(above, np.minimum(np.maximum(T, T_QCD), T_EW),
                           np.minimum(np.maximum(T, 1e-4), T_QCD)))
    out = np.exp(evaluate_splines([HADRONS_SUM.spline, QUARKS.spline], above.astype(np.intp), lt))
    if np.any(direct_needed):
        out = np.where(direct_needed, charged_species_sum(T), out)
    return out


def annihilation_rate(gQ, gY, T):
    sv = np.where(T >= T_EW, gY * gY * T * T * 10.25 / pi,
                  2.0 * gQ * gQ * T * T * tabulated_species_sum(T) / pi)
    return 3.0 * zeta3 * T ** 3 / (2.0 * pi * pi) * sv


def freezeout_neglected(p, T):
    contact = annihilation_rate(p["gQ"], p["gY"], T)

    def term(m, width):
        off = 96.0 * T * T / (m * m)
        x = m / T
        small = x <= 700.0
        inv = np.zeros_like(T)
        if np.any(small):
            idx = np.nonzero(small)[0]
            # Far from the pole the integrand of K_1 is a narrow Gaussian: 16 nodes give
            # the same 1e-13 as 48 (checked against 400 over 2 < x < 700).
            big = x[idx] > 2.0
            k1 = np.empty(idx.size)
            k1[big] = bessel_k(1.0, x[idx][big], nodes=16)
            k1[~big] = bessel_k(1.0, x[idx][~big])
            inv[idx] = m[idx] ** 2 * k1 * width[idx] / (zeta3 * T[idx] ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = off + np.where(contact > 0.0, inv / contact, np.inf)
        return np.where(m > 0.0, val, np.inf)

    below = np.maximum(term(p["mZ"], p["wZ"]), term(p["mZs"], p["wZs"]))
    return np.where(T >= T_EW, term(p["mX"], p["wX"]), below)


def chi_freezeout(p, gtotal):
    """T_f: Gamma(T) = H(T), bracketed in ln T as ChiFreezeOut.cpp, then root-found."""
    gQ, gY = p["gQ"], p["gY"]
    n = gQ.size
    coupled = (gQ != 0.0) | (gY != 0.0)
    ln_min, ln_max = math.log(1e-4), math.log(1e19)

    # The root of Gamma/H - 1 is found as the root of ln(Gamma/H), nearly linear in ln T
    # (Gamma/H ~ T^3): the same root and bracket signs, and regula falsi converges in a few
    # steps instead of forty.
    def f(lnT, idx):
        T = np.exp(lnT)
        return np.log(annihilation_rate(gQ[idx], gY[idx], T) / hubble(T, gtotal(T, idx)))

    h0 = math.sqrt(8.0 * pi ** 3 * 30.0 / 90.0) / M_Pl
    n0 = 3.0 * zeta3 / (2.0 * pi * pi)
    with np.errstate(divide="ignore"):
        t0 = np.cbrt(h0 / (n0 * 2.0 * gQ * gQ * 3.0 / pi))
        t0 = np.where(t0 < T_EW, t0, np.cbrt(h0 / (n0 * gY * gY * 10.25 / pi)))
    ln4 = math.log(4.0)
    lo = np.clip(np.log(t0) - ln4, ln_min, ln_max)
    hi = np.clip(np.log(t0) + ln4, ln_min, ln_max)
    idx = np.arange(n)
    flo = f(lo, idx)
    fhi = f(hi, idx)
    while True:
        grow = np.nonzero((flo > 0.0) & (lo > ln_min))[0]
        if grow.size == 0:
            break
        hi[grow], fhi[grow] = lo[grow], flo[grow]
        lo[grow] = np.maximum(lo[grow] - ln4, ln_min)
        flo[grow] = f(lo[grow], grow)
    while True:
        grow = np.nonzero((fhi < 0.0) & (hi < ln_max))[0]
        if grow.size == 0:
            break
        lo[grow], flo[grow] = hi[grow], fhi[grow]
        hi[grow] = np.minimum(hi[grow] + ln4, ln_max)
        fhi[grow] = f(hi[grow], grow)
    ok = (flo < 0.0) & (fhi > 0.0)
    root = np.full(n, np.nan)
    sel = np.nonzero(ok)[0]
    if sel.size:
        root[sel] = bracketed_root(lambda x, i: f(x, sel[i]), lo[sel], hi[sel], flo[sel],
                                   fhi[sel], log_tol)
    root = np.where(flo == 0.0, lo, np.where(fhi == 0.0, hi, root))
    T = np.exp(root)
    neglected = np.full(n, np.inf)
    fin = np.isfinite(T)
    if np.any(fin):
        i = np.nonzero(fin)[0]
        neglected[i] = freezeout_neglected({k: v[i] for k, v in p.items()}, T[i])
    T = np.where(coupled, T, np.inf)
    neglected = np.where(coupled, neglected, 0.0)
    return T, neglected


# ----------------------------------------------------------------------------------------
# Chi freeze-in through the vector portal (ChiFreezeIn.cpp), and its regime
# ----------------------------------------------------------------------------------------
Z_WIDTH = 2.4955                  # Gamma(Z -> SM), PDG 2024 (ChiFreezeIn.hpp)
FREEZE_IN_MEAN_Q = 2.5            # <p/T> of chi from two-body decays, Gamma(7/2)/Gamma(5/2)
FERMI_DIRAC_MEAN_Q = 3.15137      # <p/T> of a relativistic Fermi-Dirac gas, 7 pi^4/(180 zeta3)
T_LOWEST = 1e-4                   # lowest temperature of the production integrals
BRENT_GOLDEN = float(np.float32(0.3819660))   # Boost's brent_find_minima constant (a float)


def besselK1_or_zero(x):
    """K_1(x), 0 where it underflows (x > 700), as ChiFreezeIn.cpp; x > 0."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    far = (x > 2.0) & (x <= 700.0)       # 16 nodes far from the pole (as freezeout_neglected)
    near = x <= 2.0
    if np.any(far):
        out[far] = bessel_k(1.0, x[far], nodes=16)
    if np.any(near):
        out[near] = bessel_k(1.0, x[near])
    return out


def on_shell_per_width(m, T):
    """Per equilibrium chi, M^2 K_1(M/T)/(zeta(3) T^2) (HJMW arXiv:0911.1120, Sec. 2)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(m > 0.0, m / T, 1.0)
    return np.where(m > 0.0, m * m * besselK1_or_zero(x) / (zeta3 * T * T), 0.0)


def continuum_integral(a, nodes=32, pieces=16):
    """S(a) = (1/384) [int_0^a x^6 K_1 dx + a^4 int_a^inf x^2 K_1 dx]; the second integral is
    a^2 K_2(a) (d/dx [x^2 K_2] = -x^2 K_1, DLMF 10.29.4), the first Gauss-Legendre on
    `pieces` equal cells (smooth integrand, x^6 K_1 ~ x^5 at 0)."""
    a = np.asarray(a, dtype=float)
    xg, wg = np.polynomial.legendre.leggauss(nodes)
    unit = np.linspace(0.0, 1.0, pieces + 1)
    low = np.empty(a.size)
    for k, ak in enumerate(a):
        lo, hi = ak * unit[:-1], ak * unit[1:]
        x = (0.5 * (hi - lo)[:, None] * (xg + 1.0) + lo[:, None]).reshape(-1)
        w = (0.5 * (hi - lo)[:, None] * wg).reshape(-1)
        low[k] = np.sum(w * x ** 6 * bessel_k(1.0, x, nodes=96))
    return (low + a ** 6 * bessel_k(2.0, a, nodes=96)) / 384.0


class SuppressionTable:
    """log S on log10 a in [-3, 2], 40 per decade (ChiFreezeIn.cpp); a^4/192 below, 1 above."""

    def __init__(self):
        n = int((2.0 - -3.0) * 40) + 1
        a = 10.0 ** (-3.0 + np.arange(n) / 40.0)
        self.spline = CardinalCubicBSpline(np.log(continuum_integral(a)), -3.0, 1.0 / 40.0)

    def __call__(self, a):
        a = np.asarray(a, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            la = np.log10(np.where(a > 0.0, a, 1.0))
        inner = (a > 0.0) & (la > -3.0) & (la < 2.0)
        out = np.where(~(a > 0.0), 0.0, np.where(la <= -3.0, a ** 4 / 192.0, 1.0))
        if np.any(inner):
            s = np.minimum(1.0, np.exp(self.spline(np.where(inner, la, -2.0))))
            out = np.where(inner, s, out)
        return out


def trapezoid_grid(t_lo, t_hi):
    """Nodes and weights of ChiFreezeIn.cpp's trapezoid in ln T (40 per decade, ends 1e-12
    inside), weights times n_eq/(s H)."""
    lo, hi = math.log(t_lo), math.log(t_hi)
    n = max(8, int((hi - lo) / math.log(10.0) * 40))
    h = (hi - lo) / n
    T = np.exp(np.clip(lo + np.arange(n + 1) * h, lo + 1e-12, hi - 1e-12))
    w = np.full(n + 1, h)
    w[0] = w[-1] = 0.5 * h
    neq = 3.0 * zeta3 * T ** 3 / (2.0 * pi * pi)                       # CN Eq. 52
    s = 2.0 * pi * pi / 45.0 * GSTARS(T) * T ** 3
    return T, w * neq / (s * hubble(T, GSTAR(T)))


def yield_grid(t_lo, t_hi):
    """The same split at the QCD transition (where g_* steps)."""
    if t_lo < T_QCD < t_hi:
        a, b = trapezoid_grid(t_lo, T_QCD), trapezoid_grid(T_QCD, t_hi)
        return np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])
    return trapezoid_grid(t_lo, t_hi)


class YieldTables:
    """The SM integrals of the freeze-in yield per unit coupling, log on log10 M in [-4, 10],
    16 per decade: contact below/above the crossover (times S(M/T)) and on-shell below/above."""

    def __init__(self):
        n = int((10.0 - -4.0) * 16) + 1
        self.m = 10.0 ** (-4.0 + np.arange(n) / 16.0)
        floor_log = lambda v: np.log(np.maximum(v, 1e-300))
        tb, wb = yield_grid(T_LOWEST, T_EW)
        rate_b = annihilation_rate(np.ones(1), np.zeros(1), tb)
        jb = np.array([np.sum(wb * rate_b * SUPPRESSION(mm / tb)) for mm in self.m])
        ib = np.array([np.sum(wb * on_shell_per_width(np.full(tb.size, mm), tb)) for mm in self.m])
        ja, ia = np.empty(n), np.empty(n)
        for k, mm in enumerate(self.m):
            ta, wa = yield_grid(T_EW, 1e4 * max(mm, T_EW))
            ja[k] = np.sum(wa * annihilation_rate(np.zeros(1), np.ones(1), ta) * SUPPRESSION(mm / ta))
            ia[k] = np.sum(wa * on_shell_per_width(np.full(ta.size, mm), ta))
        step = 1.0 / 16.0
        self.splines = [CardinalCubicBSpline(floor_log(v), -4.0, step) for v in (jb, ja, ib, ia)]

    def __call__(self, which, m):
        """Table `which` (0 contact below, 1 contact above, 2 on-shell below, 3 above) at m."""
        m = np.asarray(m, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            lm = np.log10(np.where(m > 0.0, m, 1.0))
        if np.any((m > 0.0) & ((lm < -4.0) | (lm > 10.0))):
            fail("a vector mass outside 1e-4 .. 1e10 GeV: the direct freeze-in integral of "
                 "ChiFreezeIn.cpp is not ported")
        v = self.splines[which](np.clip(lm, -4.0, 10.0))
        return np.where(~(m > 0.0) | (v < -680.0), 0.0, np.exp(v))


def effective_width(to_sm, to_chi):
    total = to_sm + to_chi
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0.0, to_sm * to_chi / np.where(total > 0.0, total, 1.0), 0.0)


def vector_to_fermions(mV, gL, gR, mf, nc):
    with np.errstate(invalid="ignore", divide="ignore"):
        r = mf * mf / (mV * mV)
        beta = np.sqrt(np.maximum(1.0 - 4.0 * r, 0.0))
        w = nc * mV * beta / (24.0 * pi) * ((gL * gL + gR * gR) * (1.0 - r) + 6.0 * gL * gR * r)
    return np.where(2.0 * mf < mV, w, 0.0)


def production_portal(portal, sinEta, cosEta, sEps, cEps, MZs2, m3):
    """ChiProductionPortal: the SM widths of Z, Z_s (CN Eqs. 38, 45-46) and X'."""
    sW, cW = math.sqrt(sin2W), math.sqrt(1.0 - sin2W)
    gp = g2 * sW / cW

    def zs(t3, q):
        return -sinEta * (g2 / cW) * (t3 - sin2W * q) - cosEta * gp * sEps * (q - t3)

    m = np.sqrt(MZs2)
    dirac = lambda t3, q, mf, nc: vector_to_fermions(m, zs(t3, q), zs(0.0, q), mf, nc)
    w = 3.0 * vector_to_fermions(m, zs(0.5, 0.0), 0.0, 0.0, 1.0)         # nu_L
    for mf in (m_e, m_mu, m_tau):
        w = w + dirac(-0.5, -1.0, mf, 1)
    w = w + dirac(0.5, 2 / 3, m_pi, 3) + dirac(0.5, 2 / 3, m_c, 3) + dirac(0.5, 2 / 3, m_t, 3)
    w = w + dirac(-0.5, -1 / 3, m_pi, 3) + dirac(-0.5, -1 / 3, m_pi, 3) + dirac(-0.5, -1 / 3, m_b, 3)
    g = gp * sEps
    p = dict(portal)
    p["eZ"] = effective_width(Z_WIDTH, portal["wZ"])
    p["eZs"] = effective_width(w, portal["wZs"])
    p["eX"] = effective_width(g * g * cEps * m3 * 10.25 / (24.0 * pi), portal["wX"])
    return p


def production_rate(p, T, idx):
    """r(T) per equilibrium chi (chiProductionRatePerChi) at the points idx."""
    g = lambda k: p[k][idx]
    above = T >= T_EW
    contact = annihilation_rate(g("gQ"), g("gY"), T)
    mstar = np.where(above, g("mX"), g("mZs"))
    out = contact * SUPPRESSION(mstar / T)
    out = out + np.where(above, on_shell_per_width(g("mX"), T) * g("eX"),
                         on_shell_per_width(g("mZ"), T) * g("eZ")
                         + on_shell_per_width(g("mZs"), T) * g("eZs"))
    return out


def brent_maximum(f, lo, hi, bits=30, max_iter=60):
    """Boost's brent_find_minima of -f on [lo, hi] step for step (bits capped at 26 as Boost
    does for double), for arrays; each iteration evaluates f on the points still running.
    Returns (x, f(x))."""
    bits = min(53 // 2, bits)
    tol = math.ldexp(1.0, 1 - bits)
    mn, mx = lo.copy(), hi.copy()
    x = mx.copy()
    w, v = x.copy(), x.copy()
    n = x.size
    fx = -f(x, np.arange(n))
    fw, fv = fx.copy(), fx.copy()
    delta, delta2 = np.zeros(n), np.zeros(n)
    active = np.arange(n)
    for _ in range(max_iter):
        if active.size == 0:
            break
        X, W, V, A, B = x[active], w[active], v[active], mn[active], mx[active]
        FX, FW, FV = fx[active], fw[active], fv[active]
        D, D2 = delta[active], delta2[active]
        mid = (A + B) / 2
        fract1 = tol * np.abs(X) + tol / 4
        fract2 = 2 * fract1
        go = ~(np.abs(X - mid) <= (fract2 - (B - A) / 2))
        active = active[go]
        if active.size == 0:
            break
        X, W, V, A, B, FX, FW, FV, D, D2, mid, fract1, fract2 = (
            z[go] for z in (X, W, V, A, B, FX, FW, FV, D, D2, mid, fract1, fract2))
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            r = (X - W) * (FX - FV)
            q = (X - V) * (FX - FW)
            p = (X - V) * q - (X - W) * r
            q = 2 * (q - r)
            p = np.where(q > 0, -p, p)
            q = np.abs(q)
            reject = ((np.abs(p) >= np.abs(q * D2 / 2)) | (p <= q * (A - X))
                      | (p >= q * (B - X)))
            pd = p / q
            ut = X + pd
            pd = np.where(((ut - A) < fract2) | ((B - ut) < fract2),
                          np.where((mid - X) < 0, -np.abs(fract1), np.abs(fract1)), pd)
        parabolic = (np.abs(D2) > fract1) & ~reject
        golden2 = np.where(X >= mid, A - X, B - X)
        nd2 = np.where(parabolic, D, golden2)
        nd = np.where(parabolic, pd, BRENT_GOLDEN * golden2)
        U = np.where(np.abs(nd) >= fract1, X + nd,
                     np.where(nd > 0, X + np.abs(fract1), X - np.abs(fract1)))
        FU = -f(U, active)
        better = FU <= FX
        second = ~better & ((FU <= FW) | (W == X))
        third = ~better & ~second & ((FU <= FV) | (V == X) | (V == W))
        mn[active] = np.where(better, np.where(U >= X, X, A), np.where(U < X, U, A))
        mx[active] = np.where(better, np.where(U >= X, B, X), np.where(U < X, B, U))
        v[active] = np.where(better | second, W, np.where(third, U, V))
        fv[active] = np.where(better | second, FW, np.where(third, FU, FV))
        w[active] = np.where(better, X, np.where(second, U, W))
        fw[active] = np.where(better, FX, np.where(second, FU, FW))
        x[active] = np.where(better, U, X)
        fx[active] = np.where(better, FU, FX)
        delta[active], delta2[active] = nd, nd2
    return x, -fx


def chi_freeze_in(p):
    """ChiFreezeIn.cpp chiFreezeIn: thermalisation ratio max_T r/H, freeze-in yield per
    Majorana state, the peak temperature and (ratio > 1) the decoupling temperature."""
    n = p["gQ"].size
    tc = T_EW
    eZ, eZs, eX = p["eZ"], p["eZs"], p["eX"]
    none = (p["gQ"] == 0.0) & (p["gY"] == 0.0) & (eZ == 0.0) & (eZs == 0.0) & (eX == 0.0)
    res = np.where(eZ > 0.0, eZ * YIELDS(2, p["mZ"]), 0.0) + \
        np.where(eZs > 0.0, eZs * YIELDS(2, p["mZs"]), 0.0) + \
        np.where(eX > 0.0, eX * YIELDS(3, p["mX"]), 0.0)
    yfi = res + p["gQ"] ** 2 * YIELDS(0, p["mZs"]) + p["gY"] ** 2 * YIELDS(1, p["mX"])

    def ratio(lnT, idx):
        T = np.exp(lnT)
        return production_rate(p, T, idx) / hubble(T, GSTAR(T))

    inf = np.inf
    lightest = np.minimum(p["mZ"], np.minimum(np.where(p["mZs"] > 0.0, p["mZs"], inf),
                                              np.where(p["mX"] > 0.0, p["mX"], inf)))
    lnLo = np.log(np.maximum(T_LOWEST, 0.01 * lightest))
    lnHi = np.log(100.0 * np.maximum(np.maximum(p["mX"], p["mZs"]), tc))
    lnTc = math.log(tc)
    kstep = 0.25 * 2.302585092994046
    steps = np.maximum(2, np.ceil((lnHi - lnLo) / kstep)).astype(np.int64)
    best = np.full(n, -1.0)
    best_ln = lnLo.copy()
    allidx = np.arange(n)
    for i in range(int(steps.max()) + 1):
        sel = allidx[i <= steps]
        ln = lnLo[sel] + (lnHi[sel] - lnLo[sel]) * i / steps[sel]
        val = ratio(ln, sel)
        up = val > best[sel]
        best[sel[up]], best_ln[sel[up]] = val[up], ln[up]
    for ln in (lnTc - 1e-9, lnTc + 1e-9):
        val = ratio(np.full(n, ln), allidx)
        up = val > best
        best[up], best_ln[up] = val[up], ln
    h = (lnHi - lnLo) / steps
    a, b = best_ln - h, best_ln + h
    b = np.where(best_ln < lnTc, np.minimum(b, lnTc - 1e-9), b)
    a = np.where(best_ln > lnTc, np.maximum(a, lnTc + 1e-9), a)
    sel = np.nonzero((b > a) & ~none)[0]
    if sel.size:
        xm, fm = brent_maximum(lambda ln, i: ratio(ln, sel[i]), a[sel], b[sel])
        up = fm > best[sel]
        best[sel[up]], best_ln[sel[up]] = fm[up], xm[up]
    tdec = np.full(n, np.nan)
    sel = np.nonzero((best > 1.0) & ~none)[0]
    if sel.size:
        lo, hi = best_ln[sel].copy(), best_ln[sel].copy()
        flo, fhi = best[sel] - 1.0, best[sel] - 1.0
        run = np.arange(sel.size)
        for _ in range(400):
            run = run[(flo[run] > 0.0) & (lo[run] > math.log(T_LOWEST))]
            if run.size == 0:
                break
            hi[run], fhi[run] = lo[run], flo[run]
            lo[run] -= 0.25
            flo[run] = ratio(lo[run], sel[run]) - 1.0
        ok = np.nonzero((flo < 0.0) & (fhi > 0.0))[0]
        if ok.size:
            # The root of ln(r/H) (the same root as r/H - 1, nearly linear in ln T), solved to
            # 2^-38 where the C++ stops toms748 at 2^-29 relative in ln T.
            g = lambda ln, i: np.log(ratio(ln, sel[ok[i]]))
            with np.errstate(divide="ignore"):
                root = bracketed_root(g, lo[ok], hi[ok], np.log1p(flo[ok]), np.log1p(fhi[ok]),
                                      log_tol)
            tdec[sel[ok]] = np.exp(root)
    return {"ratio": np.where(none, 0.0, best), "fi": np.where(none, 0.0, yfi),
            "peakT": np.where(none, 0.0, np.exp(best_ln)), "tdec": np.where(none, np.nan, tdec)}


# ----------------------------------------------------------------------------------------
# Cosmology.cpp: reheating, entropy from the decay
# ----------------------------------------------------------------------------------------
def reheating_temperature(width):
    c = (90.0 / (8.0 * pi ** 3)) ** 0.25 * np.sqrt(width * M_Pl)
    lo, hi = c * 200.0 ** -0.25, c * 2.0 ** -0.25

    def f(t, idx):
        return t - c[idx] * GSTAR(t) ** -0.25

    idx = np.arange(c.size)
    flo, fhi = f(lo, idx), f(hi, idx)
    out = np.full(c.size, np.nan)
    ok = (flo < 0.0) & (fhi > 0.0)
    sel = np.nonzero(ok)[0]
    if sel.size:
        out[sel] = bracketed_root(lambda x, i: f(x, sel[i]), lo[sel], hi[sel], flo[sel],
                                  fhi[sel], rel_tol)
    out = np.where(flo == 0.0, lo, np.where(fhi == 0.0, hi, out))
    return np.where((flo > 0.0) | (fhi < 0.0), np.nan, out)


class IncrementTable:
    """ln X against ln D_s (8 per decade, 1e-4 .. 1e8), X = S_f^(4/3)/S_i^(4/3) - 1 from the
    decay integrated at constant g_* in x = ln a (Cosmology.cpp integrateIncrement), all 97
    table points at once. Classical RK4 as the C++, with step 1e-2 instead of 1e-3: X differs
    from the 1e-3 integration by at most 1.0e-9 relative (measured over the 97 points), ten
    times fewer numpy steps."""

    def __init__(self, step=1e-2):
        self.step = math.log(10.0) / 8.0
        self.lnD = -4.0 * math.log(10.0) + np.arange(97) * self.step
        ds = np.exp(self.lnD)
        x = np.log(1e-3 * np.minimum(1.0, 1.0 / ds))
        y = np.stack([ds, np.ones_like(ds), np.zeros_like(ds)])
        h = step

        def deriv(lx, v):
            a = np.exp(lx)
            k = 1.0 / np.sqrt(v[0] / a ** 3 + v[1] / a ** 4)
            return np.stack([-k * v[0], k * v[0] * a, k])

        running = np.ones(ds.size, dtype=bool)
        while running.any():
            i = np.nonzero(running)[0]
            yi, xi = y[:, i], x[i]
            k1 = deriv(xi, yi)
            k2 = deriv(xi + 0.5 * h, yi + 0.5 * h * k1)
            k3 = deriv(xi + 0.5 * h, yi + 0.5 * h * k2)
            k4 = deriv(xi + h, yi + h * k3)
            y[:, i] = yi + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            x[i] = xi + h
            running[i] = y[2, i] < 50.0
        self.lnX = np.log(y[1] - 1.0)

    def __call__(self, ds):
        ds = np.asarray(ds, dtype=float)
        u = np.log(np.where(ds > 0.0, ds, 1.0))
        mid = np.exp(np.interp(u, self.lnD, self.lnX))
        low = np.exp(self.lnX[0]) * ds / np.exp(self.lnD[0])
        high = np.exp(self.lnX[-1]) * (ds / np.exp(self.lnD[-1])) ** (4.0 / 3.0)
        out = np.where(u <= self.lnD[0], low, np.where(u >= self.lnD[-1], high, mid))
        return np.where(ds > 0.0, out, 0.0)


def omega_from_yield(rho_over_s):
    return rho_over_s * s0_cm3 / (rhoc_h2 * h_H0 * h_H0)


# ----------------------------------------------------------------------------------------
# ScalarFreezeIn.cpp: phi^0 through the quartic portal (erratum E11)
# ----------------------------------------------------------------------------------------
def decay_production_per_width(T):
    x = M_H / T
    out = np.zeros_like(T)
    ok = x <= 700.0
    out[ok] = M_H * M_H * T[ok] * bessel_k(1.0, x[ok]) / (pi * pi)
    return out


def portal_integrals():
    n = 4000
    lo, hi = math.log(M_H / 60.0), math.log(T_EW)
    h = (hi - lo) / n
    T = np.exp(lo + np.arange(n + 1) * h)
    hub = hubble(T, GSTAR(T))
    p = decay_production_per_width(T)
    neq = zeta3 * T ** 3 / pi ** 2
    s = 2.0 * pi * pi / 45.0 * GSTARS(T) * T ** 3
    ratio = p / (neq * hub)
    w = np.full(n + 1, h)
    w[0] = w[-1] = 0.5 * h
    i = int(np.argmax(ratio))
    I = {"decayRatioMax": ratio[i], "decayPeakT": T[i], "decayYield": np.sum(w * p / (s * hub))}
    g = GSTAR(np.array([T_EW]))[0]
    I["scatteringRatioMax"] = (T_EW ** 4 / (64.0 * pi ** 5)) / (
        zeta3 * T_EW ** 3 / pi ** 2 * hubble(T_EW, g))
    lo2, hi2 = hi, math.log(1e9)
    h2 = (hi2 - lo2) / n
    T = np.exp(lo2 + np.arange(n + 1) * h2)
    hub = hubble(T, GSTAR(T))
    s = 2.0 * pi * pi / 45.0 * GSTARS(T) * T ** 3
    w = np.full(n + 1, h2)
    w[0] = w[-1] = 0.5 * h2
    I["scatteringYield"] = np.sum(w * T ** 4 / (64.0 * pi ** 5) / (s * hub))
    return I


def scalar_portal_yield(kappa, mphi, I):
    r = 4.0 * mphi * mphi / (M_H * M_H)
    beta = np.where(r < 1.0, np.sqrt(np.maximum(1.0 - r, 0.0)), 0.0)
    width = kappa * kappa * v_ew * v_ew * beta / (32.0 * pi * M_H)
    dr = width * I["decayRatioMax"]
    sr = kappa * kappa * I["scatteringRatioMax"]
    y = {"ratio": np.maximum(dr, sr),
         "peakT": np.where(dr >= sr, I["decayPeakT"], T_EW),
         "fi": width * I["decayYield"] + kappa * kappa * I["scatteringYield"]}
    tdec = np.where(sr > 1.0, T_EW, np.nan)
    sel = np.nonzero(dr > 1.0)[0]
    if sel.size:
        wsel = width[sel]

        def f(lnT, idx):          # ln of the ratio (its root is the ratio's 1), as above
            T = np.exp(lnT)
            with np.errstate(divide="ignore"):
                return np.log(wsel[idx] * decay_production_per_width(T) / (
                    zeta3 * T ** 3 / pi ** 2 * hubble(T, GSTAR(T))))

        hi = np.full(sel.size, math.log(I["decayPeakT"]))
        lo = hi.copy()
        allidx = np.arange(sel.size)
        flo = f(lo, allidx)
        for _ in range(200):
            step = np.nonzero(flo > 0.0)[0]
            if step.size == 0:
                break
            lo[step] -= 0.5
            flo[step] = f(lo[step], step)
        fhi = f(hi, allidx)
        root = np.full(sel.size, np.nan)
        ok = np.nonzero((flo < 0.0) & (fhi > 0.0))[0]
        if ok.size:
            root[ok] = np.exp(bracketed_root(lambda x, i: f(x, ok[i]), lo[ok], hi[ok], flo[ok],
                                             fhi[ok], log_tol))
        tdec[sel] = root
    y["tdec"] = tdec
    return y


# ----------------------------------------------------------------------------------------
# StrongCoupling.cpp, ScalarDecays.cpp
# ----------------------------------------------------------------------------------------
def active_flavours(mu):
    mu = np.asarray(mu, dtype=float)
    return np.where(mu >= m_t, 6, np.where(mu >= m_b, 5, np.where(mu >= m_c, 4, 3)))


def run_coupling(a0, mu0, mu, nf):
    """a = alpha_s/(4 pi) from mu0 to mu at fixed n_f: the exact two-loop solution,
    safeguarded Newton inside [1e-4 a0, 50 a0] (NaN beyond the Landau pole)."""
    a0, mu0, mu = (np.broadcast_to(np.asarray(z, dtype=float), np.shape(mu)).copy()
                   for z in (a0, mu0, mu))
    nf = np.broadcast_to(np.asarray(nf, dtype=float), a0.shape)
    b0 = 11.0 - 2.0 * nf / 3.0
    b1 = 102.0 - 38.0 * nf / 3.0
    target = np.log(mu * mu / (mu0 * mu0))

    def lhs(a):
        return (1.0 / (b0 * a) - 1.0 / (b0 * a0)
                + b1 / (b0 * b0) * np.log(a * (b0 + b1 * a0) / (a0 * (b0 + b1 * a))) - target)

    lo, hi = 1e-4 * a0, 50.0 * a0
    landau = lhs(hi) > 0.0
    a = np.clip(a0 / (1.0 + b0 * a0 * target), 2e-4 * a0, 49.0 * a0)
    for _ in range(60):
        g = lhs(a)
        lo = np.where(g > 0.0, a, lo)
        hi = np.where(g < 0.0, a, hi)
        d = -1.0 / (b0 * a * a) + b1 / (b0 * b0) * (1.0 / a - b1 / (b0 + b1 * a))
        new = a - g / d
        new = np.where((new > lo) & (new < hi), new, 0.5 * (lo + hi))
        done = np.abs(new - a) <= 4.0 * EPS * a
        a = new
        if np.all(done):
            break
    a = np.where(mu == mu0, a0, a)
    return np.where(landau & (mu != mu0), np.nan, a)


def _scalar(x):
    return float(np.asarray(x).reshape(-1)[0])


A_MZ = alpha_s_MZ / (4.0 * pi)
A_MB = _scalar(run_coupling(A_MZ, M_Z, np.array([m_b]), 5))
A_MC = _scalar(run_coupling(A_MB, m_b, np.array([m_c]), 4))
A_MT = _scalar(run_coupling(A_MZ, M_Z, np.array([m_t]), 5))


def alpha_s(mu):
    """Two-loop alpha_s(mu) from alpha_s(M_Z), matched at m_c, m_b, m_t (StrongCoupling.cpp);
    the couplings at the thresholds are point-independent and computed once."""
    mu = np.asarray(mu, dtype=float)
    a0 = np.where(mu > m_t, A_MT, np.where(mu >= m_b, A_MZ, np.where(mu >= m_c, A_MB, A_MC)))
    mu0 = np.where(mu > m_t, m_t, np.where(mu >= m_b, M_Z, np.where(mu >= m_c, m_b, m_c)))
    nf = np.where(mu > m_t, 6, np.where(mu >= m_b, 5, np.where(mu >= m_c, 4, 3)))
    # mu in [M_Z, m_t] runs from M_Z with 5 flavours, as in the C++.
    return run_coupling(a0, mu0, mu, nf) * 4.0 * pi


AS_THRESH = [_scalar(alpha_s(np.array([m]))) for m in (m_c, m_b, m_t)]
AS_2GEV = _scalar(alpha_s(np.array([2.0])))


def mass_ratio(a0, a1, nf):
    b0 = (11.0 - 2.0 * nf / 3.0) / 4.0
    b1 = (102.0 - 38.0 * nf / 3.0) / 16.0
    g1 = (202.0 / 3.0 - 20.0 * nf / 9.0) / 16.0
    return (a1 / a0) ** (1.0 / b0) * ((b0 + b1 * a1) / (b0 + b1 * a0)) ** (g1 / b1 - 1.0 / b0)


def run_mass(m, mu0, as0, mu, a_s):
    scales = [m_c, m_b, m_t]
    mu = np.asarray(mu, dtype=float)
    up = mu >= mu0
    x = np.full(mu.shape, float(mu0))
    ax = np.full(mu.shape, float(as0))
    fac = np.ones(mu.shape)
    for i in range(3):
        c = up & (scales[i] > x) & (scales[i] < mu)
        fac = np.where(c, fac * mass_ratio(ax / pi, AS_THRESH[i] / pi, active_flavours(x)), fac)
        x = np.where(c, scales[i], x)
        ax = np.where(c, AS_THRESH[i], ax)
    for i in (2, 1, 0):
        c = ~up & (scales[i] < x) & (scales[i] > mu)
        fac = np.where(c, fac * mass_ratio(ax / pi, AS_THRESH[i] / pi,
                                           active_flavours(scales[i])), fac)
        x = np.where(c, scales[i], x)
        ax = np.where(c, AS_THRESH[i], ax)
    return m * fac * mass_ratio(ax / pi, a_s / pi, active_flavours(np.minimum(x, mu)))


def velocity(m, M):
    r = 4.0 * m * m / (M * M)
    return np.where(r < 1.0, np.sqrt(np.maximum(1.0 - r, 0.0)), 0.0)


def fermion_loop(tau):
    small = 1.0 + tau * (7.0 / 30.0 + tau * (2.0 / 21.0 + tau * 26.0 / 525.0))
    ts = np.minimum(tau, 1.0)
    f_low = np.arcsin(np.sqrt(ts)) ** 2 + 0j
    tl = np.maximum(tau, 1.0 + 1e-300)
    r = np.sqrt(1.0 - 1.0 / tl)
    with np.errstate(divide="ignore"):
        l = np.log((1.0 + r) / (1.0 - r)) - 1j * pi
    f = np.where(tau <= 1.0, f_low, -0.25 * l * l)
    a = 0.75 * 2.0 * (tau + (tau - 1.0) * f) / (tau * tau)
    return np.where(tau < 1e-3, small + 0j, a)


def scalar_sm_width(sa, mphi):
    """CN Eqs. 64-65 corrected (errata E2, E5): leptons, then hadrons (Eq. 65 x beta_pi
    below 1.5 GeV, perturbative quarks and gluons above 2.5 GeV, ln Gamma linear between)."""
    s2 = sa * sa
    lep = sum(s2 * G_F * ml * ml * mphi * velocity(ml, mphi) ** 3 / (4.0 * sqrt2 * pi)
              for ml in (m_e, m_mu, m_tau))
    a_s = alpha_s(np.maximum(mphi, 1.0))
    bpi = velocity(m_pi, mphi)
    bk = velocity(m_K, mphi)
    bracket = 6.0 - 2.0 * bpi ** 3 - bk ** 3
    low = np.where(bpi == 0.0, 0.0, (a_s / (3.0 * pi)) ** 2 * bracket * bracket * s2 * G_F
                   * mphi ** 3 / (4.0 * sqrt2 * pi)) * bpi
    nf = active_flavours(mphi)
    a = a_s / pi
    k = 1.0 + a * (17.0 / 3.0 + a * (35.94 - 1.36 * nf))

    def quarks(mrun, mmeson):
        return s2 * 3.0 * G_F * mrun * mrun * mphi * velocity(mmeson, mphi) ** 3 * k / (
            4.0 * sqrt2 * pi)

    ms = run_mass(m_s, 2.0, AS_2GEV, mphi, a_s)
    high = quarks(ms, m_K)
    high = high + np.where(mphi > 2.0 * m_D0,
                           quarks(run_mass(m_c, m_c, AS_THRESH[0], mphi, a_s), m_D0), 0.0)
    high = high + np.where(mphi > 2.0 * m_B,
                           quarks(run_mass(m_b, m_b, AS_THRESH[1], mphi, a_s), m_B), 0.0)
    amp = sum(fermion_loop(mphi * mphi / (4.0 * mq * mq)) for mq in (m_c, m_b, m_t))
    glue = s2 * G_F * a_s * a_s * mphi ** 3 / (36.0 * sqrt2 * pi ** 3) * np.abs(amp) ** 2
    high = high + glue * (1.0 + (95.0 / 4.0 - 7.0 * nf / 6.0) * a_s / pi)
    t = (mphi - HADRONIC_LOW) / (HADRONIC_HIGH - HADRONIC_LOW)
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed = low * (high / low) ** t
    had = np.where(mphi <= HADRONIC_LOW, low, np.where(mphi >= HADRONIC_HIGH, high, mixed))
    had = np.where(mphi <= 2.0 * m_pi, 0.0, had)
    return np.where(sa == 0.0, 0.0, lep + had)


def majorana_pair(y, mphi, mi, mj, identical):
    ai, aj = np.abs(mi), np.abs(mj)
    m2 = mphi * mphi
    lam = (m2 - (ai + aj) ** 2) * (m2 - (ai - aj) ** 2)
    ss = mi + mj
    w = y * y * (m2 - ss * ss) * np.sqrt(np.maximum(lam, 0.0)) / (8.0 * pi * m2 * mphi)
    w = np.where(mphi > ai + aj, w, 0.0)
    return 0.5 * w if identical else w


# ----------------------------------------------------------------------------------------
# The model (HiddenKevFermion.cpp)
# ----------------------------------------------------------------------------------------
def compute(P):
    """Every observable of the blocks the default chain needs (spectrum, chi_decays,
    electroweak, cosmology, higgs: what portalscan stores with "observables": "chain") and the
    kernel status, for the parameter columns P (dict of arrays)."""
    MN, ye, ymu, ytau = P["M_N"], P["y_e"], P["y_mu"], P["y_tau"]
    fL, fR, vs, Mchi = P["f_L"], P["f_R"], P["v_s"], P["M_chi"]
    eps, gs, mphi, kappa, R = P["epsilon"], P["g_s"], P["m_phi"], P["kappa"], P["R_detector"]
    n = MN.size
    np.seterr(all="ignore")     # NaN and inf are values here, as in the C++
    O = {}
    nan = np.full(n, np.nan)
    status = np.zeros(n, dtype=np.int8)
    unphys = ~(MN > 0) | ~(vs > 0) | (Mchi < 0) | ~(mphi > 0) | ~(np.abs(eps) < 1)

    # --- spectrum: 5x5 real symmetric, M = M_0 - m_D m_D^T/M_N (CN Eq. 3), eigh per point ---
    mD = np.stack([ye * v_ew, ymu * v_ew, ytau * v_ew, fL * vs, fR * vs], axis=1) / sqrt2
    S = -mD[:, :, None] * mD[:, None, :] / MN[:, None, None]
    M = S.copy()
    M[:, 3, 4] += Mchi
    M[:, 4, 3] += Mchi
    m, V = np.linalg.eigh(M)
    content = V[:, 3, :] ** 2 + V[:, 4, :] ** 2
    order = np.argsort(-content, axis=1, kind="stable")
    ia, ib = order[:, 0], order[:, 1]
    act = order[:, 2:]
    rows = np.arange(n)[:, None]
    act = np.take_along_axis(act, np.argsort(np.abs(m[rows, act]), axis=1, kind="stable"), 1)
    r = np.arange(n)
    ma, mb = m[r, ia], m[r, ib]
    va, vb = V[r, :, ia], V[r, :, ib]
    cross = np.sum(V[rows, 3, act] * V[rows, 4, act], axis=1)
    quad = lambda v: np.sum(v * np.matmul(S, v[:, :, None])[:, :, 0], axis=1)   # v^T S v
    ssum = -2.0 * Mchi * cross + quad(va) + quad(vb)
    diff = np.where((ma > 0) != (mb > 0), np.where(ma > 0, 1.0, -1.0) * ssum,
                    np.abs(ma) - np.abs(mb))
    il = np.where(diff <= 0, ia, ib)
    ih = np.where(diff <= 0, ib, ia)
    mabs = np.abs(m)
    # The two exactly massless active states (one N_R) come out as rounding noise. The C++'s
    # Jacobi leaves them below 64 eps x the heaviest active mass, which it reports as 0;
    # LAPACK's eigh rounds relative to the whole matrix (about 1e-20 GeV here), so the same
    # rule is applied with that scale: 64 eps x the largest |m| (the chi mass).
    scale = np.max(mabs, axis=1)
    for k in range(3):
        mk = mabs[r, act[:, k]]
        O["m_nu_%d" % (k + 1)] = np.where(mk < 64.0 * EPS * scale, 0.0, mk)
    O["m_chi_light"] = mabs[r, il]
    O["m_chi_heavy"] = mabs[r, ih]
    O["delta_m_chi"] = np.abs(diff)
    clean = lambda u2: np.where(u2 < MIXING_FLOOR, 0.0, u2)
    U2 = np.sum(V[:, 0:3, :] ** 2, axis=1)              # per state
    O["U2_chi_light"] = clean(U2[r, il])
    O["U2_chi_heavy"] = clean(U2[r, ih])
    O["U2e_chi_light"] = clean(V[r, 0, il] ** 2)
    O["U2e_chi_heavy"] = clean(V[r, 0, ih] ** 2)
    with np.errstate(divide="ignore"):
        O["theta_eq9"] = ye * fL * v_ew * vs / (Mchi * MN)          # CN Eq. 9
    ue2 = V[:, 0, :] ** 2
    O["m_ee"] = np.abs(np.sum(ue2 * m, axis=1))                     # CN Eq. 20
    ue2a = ue2[rows, act]
    ma_act = m[rows, act]
    O["m_ee_active"] = np.abs(np.sum(ue2a * ma_act, axis=1))
    O["m_beta"] = np.sqrt(np.sum(ue2a * ma_act ** 2, axis=1))      # CN Eq. 19
    O["sum_m_nu"] = O["m_nu_1"] + O["m_nu_2"] + O["m_nu_3"]

    # --- chi decays, CN Eqs. 13-14 ---
    # sum over the active states j of |U_alpha j|^2, per flavour alpha: (n, 3)
    active_row = np.sum(np.take_along_axis(V[:, 0:3, :], act[:, None, :], 2) ** 2, axis=2)

    def chi_decay(i):
        mm = mabs[r, i]
        m5 = mm ** 5
        ua2 = V[r, 0:3, i] ** 2
        u2 = np.sum(ua2, axis=1)
        rad = np.sum(ua2 * active_row, axis=1)
        zero = clean(u2) == 0.0
        three = np.where(zero, 0.0, G_F ** 2 * m5 * u2 / (96.0 * pi ** 3))
        nug = np.where(zero, 0.0, 9.0 * alpha_em * G_F ** 2 * m5 * rad / (256.0 * pi ** 4))
        with np.errstate(divide="ignore"):
            tau = np.where(zero, np.inf, hbar_GeV_s / (three + nug))
        return three, nug, tau

    l3, lg, ltau = chi_decay(il)
    h3, hg, htau = chi_decay(ih)
    O.update(Gamma_chi_light_3nu=l3, Gamma_chi_light_nugamma=lg, tau_chi_light=ltau,
             Gamma_chi_heavy_3nu=h3, Gamma_chi_heavy_nugamma=hg, tau_chi_heavy=htau,
             E_xray_light=0.5 * O["m_chi_light"], E_xray_heavy=0.5 * O["m_chi_heavy"])
    # (the beta_decay block is not needed by the default chain, so portalscan does not store it)

    sin_a = kappa * v_ew * vs / (M_H * M_H - mphi * mphi)

    # --- electroweak: kinetic mixing (Electroweak.cpp, CN Eqs. 36-50) ---
    m3 = gs * vs
    norm = 1.0 / np.sqrt(1.0 - eps * eps)
    sEps, cEps = eps * norm, norm
    sW = math.sqrt(sin2W)
    m0sq = M_W * M_W / (1.0 - sin2W)
    a_ = m0sq
    b_ = m0sq * sW * sEps
    d_ = m0sq * sW * sW * sEps * sEps + cEps * cEps * m3 * m3
    with np.errstate(divide="ignore", invalid="ignore"):
        th = (d_ - a_) / (2.0 * b_)
        t = np.where(th >= 0, 1.0, -1.0) / (np.abs(th) + np.sqrt(th * th + 1.0))
    t = np.where(b_ == 0.0, 0.0, t)
    c = 1.0 / np.sqrt(1.0 + t * t)
    s = t * c
    MZ2 = a_ - t * b_
    MZs2 = d_ + t * b_
    cosEta, sinEta = c, -s
    eta = np.arctan2(sinEta, cosEta)
    drho = np.where(b_ == 0.0, 0.0, t * b_ / MZ2)
    O["s_epsilon"], O["M_3"], O["eta"] = sEps, m3, eta
    O["M_Z_shifted"], O["M_Zs"], O["delta_rho"] = np.sqrt(MZ2), np.sqrt(MZs2), drho
    wZchi = cEps * cEps * sinEta * sinEta * gs * gs * np.sqrt(MZ2) / (12.0 * pi)
    O["Gamma_Z_chichi"] = wZchi
    rm1 = -sinEta * sinEta / (1.0 + cosEta) + sinEta * sW * sEps
    O["delta_Gamma_Z_inv"] = wZchi + 3.0 * Gamma_Z_nunu * rm1 * (rm1 + 2.0)
    x = mphi / M_Z
    x2 = x * x
    x4 = x2 * x2
    with np.errstate(invalid="ignore", divide="ignore"):
        br = (3.0 * x * (20.0 - 8.0 * x2 + x4) / np.sqrt(4.0 - x2)
              * np.arccos(np.clip(0.5 * x * (3.0 - x2), -1, 1))
              - 3.0 * (4.0 - 6.0 * x2 + x4) * np.log(x) - 0.5 * (1.0 - x2) * (47.0 - 13.0 * x2
                                                                             + 2.0 * x4))
    F = np.where((x > 0) & (x < 1), G_F * M_Z * M_Z / (24.0 * sqrt2 * pi * pi) * br, 0.0)
    O["BR_Z_mumu_phi"] = sin_a * sin_a * F * BR_Z_mumu
    O["BR_Z_bb_phi"] = sin_a * sin_a * F * BR_Z_bb

    # --- cosmology ---
    O["sin_alpha"] = sin_a
    O["A_chi"] = np.abs(eta) * gs / g2                                  # CN Eq. 51
    mL, mHv = O["m_chi_light"], O["m_chi_heavy"]
    eem = g2 * sW
    cW = math.sqrt(1.0 - sin2W)
    epsil = sEps / cEps
    coupled = (gs != 0.0) & (epsil != 0.0)
    portal = {"gQ": np.where(coupled, gs * eem * cW * epsil / (m3 * m3), 0.0),
              "gY": np.where(coupled, gs * (eem / cW) * epsil / (m3 * m3), 0.0),
              "mZ": np.sqrt(MZ2), "wZ": wZchi, "mZs": np.sqrt(MZs2),
              "wZs": cEps ** 2 * cosEta ** 2 * gs * gs * np.sqrt(MZs2) / (12.0 * pi),
              "mX": cEps * m3}
    portal["wX"] = cEps ** 2 * gs * gs * portal["mX"] / (12.0 * pi)

    def gtotal(T, idx):                                   # CN Eq. 52: SM + chi + phi^0
        return (GSTAR(T) + 2.0 * weight(FERMION, ENERGY, mL[idx] / T)
                + 2.0 * weight(FERMION, ENERGY, mHv[idx] / T)
                + weight(BOSON, ENERGY, mphi[idx] / T))

    O["G_chi_Q"] = portal["gQ"]
    # Did chi ever reach equilibrium through the portal? (ChiFreezeIn.cpp; HiddenKevFermion.cpp
    # chiProduction: R >= 10 thermal relic, R <= 0.1 frozen in, between Y_eq tanh(Y_FI/Y_eq))
    fi = chi_freeze_in(production_portal(portal, sinEta, cosEta, sEps, cEps, MZs2, m3))
    O["chi_thermalisation_ratio"], O["Y_chi_freeze_in"] = fi["ratio"], fi["fi"]
    thermal_chi = fi["ratio"] >= THERMAL_RATIO
    frozen_chi = fi["ratio"] <= FREEZE_IN_RATIO
    O["chi_regime"] = np.where(thermal_chi, 2.0, np.where(frozen_chi, 0.0, 1.0))
    made = ~thermal_chi & (fi["fi"] > 0.0)
    tref = np.where(np.isnan(fi["tdec"]), fi["peakT"], fi["tdec"])
    tref = np.where(made, tref, 1.0)
    yeq_chi = equilibrium_yield(FERMION, 2.0, np.zeros(n), tref, GSTARS(tref))
    y_nt = np.where(frozen_chi, fi["fi"], yeq_chi * np.tanh(fi["fi"] / yeq_chi))
    y_nt = np.where(made, y_nt, 0.0)
    lam = np.where(made, y_nt / yeq_chi, 0.0)
    tf = np.where(made, tref, np.inf)
    negl = np.full(n, np.nan)
    tfo = np.full(n, np.nan)
    th = np.nonzero(thermal_chi)[0]
    if th.size:
        sub = {k: v[th] for k, v in portal.items()}
        tfo[th], negl[th] = chi_freezeout(sub, lambda T, idx: gtotal(T, th[idx]))  # erratum E7
    O["T_freezeout"], O["freezeout_neglected"] = tfo, negl
    status = np.where(thermal_chi & ~(negl <= FREEZEOUT_VALIDITY), FREEZEOUT_INVALID,
                      status).astype(np.int8)
    stop = thermal_chi & np.isnan(tfo)                       # returns freezeout_invalid here
    tf = np.where(thermal_chi, tfo, tf)
    gsF = GSTARS(np.where(thermal_chi, tfo, 1.0))
    yL = np.where(thermal_chi, equilibrium_yield(FERMION, 2.0, mL, tfo, gsF), y_nt)  # CN Eq. 55
    yH = np.where(thermal_chi, equilibrium_yield(FERMION, 2.0, mHv, tfo, gsF), y_nt)
    status = np.where(~thermal_chi & ~frozen_chi & (status == OK), CHI_PARTLY,
                      status).astype(np.int8)
    O["Y_chi"] = yL
    heavy_stable = htau > t_U
    O["Omega_chi_thermal"] = omega_from_yield(yL * mL + np.where(heavy_stable, yH * mHv, 0.0))

    # phi^0 decays (errata E3, E4): Y = cos(a) dM/dv_s - sin(a) dM/dv in the mass basis
    eVs = np.zeros((n, 5))
    eVs[:, 3], eVs[:, 4] = fL / sqrt2, fR / sqrt2
    eV = np.zeros((n, 5))
    eV[:, 0], eV[:, 1], eV[:, 2] = ye / sqrt2, ymu / sqrt2, ytau / sqrt2
    cos_a = np.sqrt(np.maximum(0.0, 1.0 - sin_a * sin_a))
    dVs = -(eVs[:, :, None] * mD[:, None, :] + mD[:, :, None] * eVs[:, None, :]) / MN[:, None,
                                                                                     None]
    dV = -(eV[:, :, None] * mD[:, None, :] + mD[:, :, None] * eV[:, None, :]) / MN[:, None, None]
    Yc = cos_a[:, None, None] * dVs - sin_a[:, None, None] * dV
    Y = np.matmul(np.matmul(V.transpose(0, 2, 1), Yc), V)
    chi = [il, ih]
    sm = scalar_sm_width(sin_a, mphi)
    chichi = np.zeros(n)
    nuchi = np.zeros(n)
    chiE = np.zeros(n)
    nuE = np.zeros(n)
    num = [np.zeros(n), np.zeros(n)]
    for a in range(2):
        for b in range(a, 2):
            i, j = chi[a], chi[b]
            w = majorana_pair(Y[r, i, j], mphi, m[r, i], m[r, j], a == b)
            chichi += w
            chiE += w
            num[a] = num[a] + w
            num[b] = num[b] + w
    m2 = mphi * mphi
    for k in range(3):
        i = act[:, k]
        for b in range(2):
            j = chi[b]
            w = majorana_pair(Y[r, i, j], mphi, m[r, i], m[r, j], False)
            nuchi += w
            chiE += w * (m2 + m[r, j] ** 2 - m[r, i] ** 2) / (2.0 * m2)
            nuE += w * (m2 + m[r, i] ** 2 - m[r, j] ** 2) / (2.0 * m2)
            num[b] = num[b] + w
    total = sm + chichi + nuchi
    pos = total > 0.0
    safe = np.where(pos, total, 1.0)
    O["Gamma_phi_SM"], O["Gamma_phi_chichi"], O["Gamma_phi"] = sm, chichi, total
    O["tau_phi"] = np.where(pos, hbar_GeV_s / safe, np.inf)
    O["BR_phi_chichi"] = np.where(pos, chichi / safe, 0.0)

    tr = reheating_temperature(total)                                   # CN Eq. 60
    stop_tr = ~stop & np.isnan(tr)
    status = np.where(stop_tr, SOLVER_FAILED, status).astype(np.int8)
    O["T_reheat"] = tr
    pp = scalar_portal_yield(kappa, mphi, PORTAL)                        # erratum E11
    O["thermalisation_ratio"], O["Y_phi_freeze_in"] = pp["ratio"], pp["fi"]
    thermal = pp["ratio"] >= THERMAL_RATIO
    with np.errstate(divide="ignore"):
        tCN = M_H ** 4 / (kappa * kappa * m_mu * m_mu * M_Pl)
    tdec_th = np.minimum(pp["tdec"], tCN)
    y_th = equilibrium_yield(BOSON, 1.0, mphi, tdec_th, GSTARS(tdec_th))
    tref = np.where(np.isnan(pp["tdec"]), pp["peakT"], pp["tdec"])
    yeq = equilibrium_yield(BOSON, 1.0, mphi, tref, GSTARS(tref))
    y_fi = yeq * np.tanh(pp["fi"] / yeq)
    yphi = np.where(thermal, y_th, y_fi)
    O["T_dec_phi"] = np.where(thermal, tdec_th, pp["tdec"])
    frozen = pp["ratio"] <= FREEZE_IN_RATIO
    O["phi_regime"] = np.where(thermal, 2.0, np.where(frozen, 0.0, 1.0))
    status = np.where(~thermal & ~frozen & (status == OK), PHI_PARTLY, status).astype(np.int8)
    O["Y_phi"] = yphi
    nu_th = tr > T_NUDEC
    hidden = chiE + np.where(nu_th, 0.0, nuE)
    fsm = np.where(pos, 1.0 - hidden / safe, 1.0)
    X = INCREMENT(4.0 / 3.0 * mphi * yphi / tr)
    d = (1.0 + fsm * X) ** 0.75                                         # erratum E3
    O["dilution"] = d
    # The entropy dilutes chi if phi^0 decays after chi froze out, or (not thermal) after its
    # production ended; the decay-produced chi stay out of equilibrium unless a thermal chi is
    # still coupled.
    dilutes = tr < tf
    after = np.where(thermal_chi, dilutes, True)
    applied = np.where(dilutes, d, 1.0)
    yDL = np.where(after, yphi * np.where(pos, num[0] / safe, 0.0) / d, 0.0)
    yDH = np.where(after, yphi * np.where(pos, num[1] / safe, 0.0) / d, 0.0)
    om_dec = omega_from_yield(yDL * mL + np.where(heavy_stable, yDH * mHv, 0.0))
    O["Omega_chi"] = O["Omega_chi_thermal"] / applied + om_dec
    O["Omega_chi_h2"] = O["Omega_chi"] * h_H0 * h_H0
    O["Omega_chi_over_DM"] = O["Omega_chi_h2"] / OmegaCh2
    O["Gamma_phi_nuchi"] = nuchi
    O["BR_phi_chi_producing"] = np.where(pos, (chichi + nuchi) / safe, 0.0)
    O["f_SM_phi"] = fsm
    O["Y_chi_decay"] = yDL + yDH
    with np.errstate(invalid="ignore", divide="ignore"):
        O["f_hot_chi"] = np.where(O["Omega_chi"] > 0.0, om_dec / O["Omega_chi"], 0.0)
    hidden_ratio = np.where(after, (1.0 - fsm) * X / (1.0 + fsm * X), 0.0)
    gs0 = GSTARS(np.array([T_MIN]))[0]
    dn_dec = hidden_ratio * 4.0 * GSTAR(tr) / 7.0 * (11.0 * gs0 / (4.0 * GSTARS(tr))) ** (4 / 3)
    O["Delta_N_eff_decay"] = dn_dec
    t_bbn = 1.0e-3
    gsAtF = GSTARS(np.minimum(tf, T_MAX))
    per_state = (11.0 * gs0 / (4.0 * gsAtF) / applied) ** (4.0 / 3.0)
    t_chi = t_bbn * np.cbrt(GSTARS(np.array([t_bbn]))[0] / gsAtF / applied)
    massless = weight(FERMION, ENERGY, 0.0)
    dn_th = sum(per_state * weight(FERMION, ENERGY, mm / t_chi) / massless for mm in (mL, mHv))
    # Not thermal: lambda thermal relics' number with <p> = 2.5 T instead of 3.15 T.
    dn_th = np.where(thermal_chi, dn_th,
                     2.0 * per_state * lam * FREEZE_IN_MEAN_Q / FERMI_DIRAC_MEAN_Q)
    O["Delta_N_eff_BBN"] = dn_dec + dn_th
    share = lambda rho: omega_from_yield(rho) / applied * h_H0 ** 2 / OmegaCh2
    dshare = h_H0 ** 2 / OmegaCh2
    fl = share(yL * mL) + omega_from_yield(yDL * mL) * dshare
    fh = share(yH * mHv) + omega_from_yield(yDH * mHv) * dshare
    O["Omega_chi_light_over_DM"], O["Omega_chi_heavy_over_DM"] = fl, fh

    def xray(nug, tau, mm, f):                 # CN Eq. 14; Pal & Wolfenstein normalisation
        per = 9.0 * alpha_em * G_F ** 2 * mm ** 5 / (1024.0 * pi ** 4)
        with np.errstate(divide="ignore", invalid="ignore"):
            val = nug / per * f * np.exp(-t_U / tau)
        return np.where(~(mm > 0.0) | (nug == 0.0), 0.0, val)

    O["sin2_2theta_xray_light"] = xray(lg, ltau, mL, fl)
    O["sin2_2theta_xray_heavy"] = xray(hg, htau, mHv, fh)
    cap = hbar_GeV_s / t_U                          # Poulin, Serpico, Lesgourgues 1606.02073
    O["dm_decay_rate"] = fl * np.minimum(l3 + lg, cap) + fh * np.minimum(h3 + hg, cap)
    ftot = O["Omega_chi_over_DM"]
    nst = np.where(heavy_stable, 2.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_th = np.where(ftot >= WDM_SHARE_TESTED, mL * (nst / ftot) ** 0.25, np.inf)
        # Frozen in: the thermal relic with the same <p>/m today, m (3.15/2.5)^(3/4)
        # (N lambda/f_portal)^(1/4), f_portal the share of the portal chi.
        fportal = share(yL * mL + np.where(heavy_stable, yH * mHv, 0.0))
        m_fi = np.where((ftot >= WDM_SHARE_TESTED) & (fportal > 0.0),
                        mL * (FERMI_DIRAC_MEAN_Q / FREEZE_IN_MEAN_Q) ** 0.75
                        * (nst * lam / fportal) ** 0.25, np.inf)
        O["m_wdm_equivalent"] = np.where(thermal_chi, m_th, m_fi)

    # --- higgs: CN Eq. 68, erratum E6 ---
    rr = 4.0 * mphi * mphi / (M_H * M_H)
    width = np.where(rr < 1.0, kappa ** 2 * v_ew ** 2 / (32.0 * pi * M_H)
                     * np.sqrt(np.maximum(1.0 - rr, 0.0)), 0.0)
    O["Gamma_h_phiphi"] = width
    energy = 0.5 * M_H
    bg = np.where(rr < 1.0, np.sqrt(np.maximum(energy * energy - mphi * mphi, 0.0)) / mphi, 0.0)
    length = np.where(pos, bg * hbarc_GeV_cm * 1e-2 / safe, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        esc = np.exp(-R / length)
    brinv = np.where(pos, (chichi + nuchi) / safe, 0.0)
    pinv = esc + (1.0 - esc) * brinv
    O["decay_length_phi"], O["P_phi_invisible"] = length, pinv
    O["BR_h_inv"] = width * pinv * pinv / (Gamma_H_SM + width)
    status = np.where(~(R > 0.0) & ~stop & ~stop_tr, UNPHYSICAL, status).astype(np.int8)

    # Points whose computation stops early keep NaN where the C++ returns.
    after_tf = ["Y_chi", "Omega_chi_thermal", "Gamma_phi_SM", "Gamma_phi_chichi", "Gamma_phi",
                "tau_phi", "BR_phi_chichi"]
    after_tr = ["T_reheat", "thermalisation_ratio", "Y_phi_freeze_in", "T_dec_phi",
                "phi_regime", "Y_phi", "dilution", "Omega_chi", "Omega_chi_h2",
                "Omega_chi_over_DM", "Gamma_phi_nuchi", "BR_phi_chi_producing", "f_SM_phi",
                "Y_chi_decay", "f_hot_chi", "Delta_N_eff_decay", "Delta_N_eff_BBN",
                "Omega_chi_light_over_DM", "Omega_chi_heavy_over_DM", "sin2_2theta_xray_light",
                "sin2_2theta_xray_heavy", "dm_decay_rate", "m_wdm_equivalent"]
    higgs = ["Gamma_h_phiphi", "decay_length_phi", "P_phi_invisible", "BR_h_inv"]
    for k in after_tf:
        O[k] = np.where(stop, np.nan, O[k])
    for k in after_tr + higgs:
        O[k] = np.where(stop | stop_tr, np.nan, O[k])
    for k in higgs:
        O[k] = np.where(~(R > 0.0), np.nan, O[k])
    status = np.where(stop, FREEZEOUT_INVALID, status).astype(np.int8)
    if np.any(unphys):
        for k in O:
            O[k] = np.where(unphys, np.nan, O[k])
        status = np.where(unphys, UNPHYSICAL, status).astype(np.int8)
    return O, status


# ----------------------------------------------------------------------------------------
# Constraint chain (constraints/src/Chain.cpp, catalogue.json, limit files)
# ----------------------------------------------------------------------------------------
UNITS = {"GeV": 1.0, "MeV": 1e-3, "keV": 1e-6, "eV": 1e-9, "s": 1.0, "1": 1.0}


def read_limit_file(name):
    header, rows = {}, []
    with open(os.path.join(ROOT, "constraints", "data", "limits", name)) as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                if ":" in line:
                    k, v = line[1:].split(":", 1)
                    header[k.strip()] = v.strip()
                continue
            rows.append([float(z) for z in line.split()[:2]])
    xs, ys = np.array(rows).T
    xs = xs * UNITS[header["x"].split()[-1]]
    ys = ys * UNITS[header["y"].split()[-1]]
    interp = dict(w.split("=") for w in header["interpolation"].split())
    return {"xs": xs, "ys": ys, "xlog": interp["x"] == "log", "ylog": interp["y"] == "log",
            "above": header["excluded"].strip() == "above", "cl": float(header["cl"])}


def default_chain():
    """The default chain of hidden_kev_fermion: every catalogue entry that is not opt-in and
    names one of its observables, in catalogue order, each at its default variant."""
    cat = json.load(open(os.path.join(ROOT, "constraints", "data", "catalogue.json")))
    chain = []
    for e in cat["constraints"]:
        if e.get("opt_in", False):
            continue
        # A use limited to option values (oscillations: n_R = 3) is not in the chain of the
        # model's default options, the only ones the peer ports.
        use = [u for u in e["uses"] if u["model"] == "hidden_kev_fermion" and not u.get("options")]
        if not use:
            continue
        var = e["variants"][e["default_variant"]]
        kind = var.get("kind", e["kind"])
        c = {"name": e["name"], "kind": kind, "observable": use[0]["observable"]}
        cl = var.get("cl", 0.95)                     # the catalogue's default CL
        if kind in ("upper", "lower"):
            c["value"] = var["value"]
        elif kind == "curve":
            c["table"] = read_limit_file(var["file"])
            c["x"] = var["x"]
            cl = c["table"]["cl"]
        else:
            fail("constraint kind %r of %s is not ported" % (kind, e["name"]))
        # z of the half-normal likelihood: the two-sided normal quantile at the limit's CL
        # (constraints/src/Statistics.cpp, limitZ).
        c["z"] = statistics.NormalDist().inv_cdf(0.5 * (1.0 + cl))
        if var.get("absolute") or e.get("absolute") or "condition" in e or "condition" in var:
            fail("constraint %s uses a feature the peer does not port" % e["name"])
        chain.append(c)
    return chain


def judge(chain, P, O, status):
    """Per constraint pass bit, statistic and chi2; allowed, chi2_total and the chain's
    status (Chain.cpp judge; chi2 of an upper limit (x z/b)^2, of a lower one (z b/x)^2)."""
    V = {**P, **O}
    out = {}
    allowed = status == OK
    saw_nan = np.zeros(status.shape, dtype=bool)
    total = np.zeros(status.shape)
    for c in chain:
        v = V[c["observable"]]
        if c["kind"] == "curve":
            t = c["table"]
            xv = V[c["x"]]
            inside = (xv >= t["xs"][0]) & (xv <= t["xs"][-1])
            sx = np.log(t["xs"]) if t["xlog"] else t["xs"]
            sy = np.log(t["ys"]) if t["ylog"] else t["ys"]
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.log(xv) if t["xlog"] else xv
                b = np.interp(np.where(inside, s, sx[0]), sx, sy)
            b = np.exp(b) if t["ylog"] else b
            with np.errstate(divide="ignore", invalid="ignore"):
                stat = v / b
            ok = v <= b if t["above"] else v >= b
            passed = np.where(np.isnan(xv), False, np.where(inside, ok & ~np.isnan(v), True))
            stat = np.where(inside & ~np.isnan(xv), stat, np.nan)
            chi2 = chi2_of(v, b, c["z"], t["above"])
            chi2 = np.where(np.isnan(xv), np.nan, np.where(inside, chi2, 0.0))
        else:
            b = c["value"]
            stat = v / b
            passed = (v <= b) if c["kind"] == "upper" else (v >= b)
            chi2 = chi2_of(v, b, c["z"], c["kind"] == "upper")
        out[c["name"]] = (passed.astype(np.uint8), stat, chi2)
        total = total + chi2
        allowed &= passed
        saw_nan |= ~passed & np.isnan(stat)
    chain_status = np.where((status == OK) & saw_nan, OBS_NAN, status).astype(np.int8)
    return out, allowed.astype(np.uint8), chain_status, np.where(status == OK, total, np.nan)


def chi2_of(v, b, z, upper):
    """Statistics.hpp chi2UpperZ / chi2LowerZ: NaN stays NaN, x <= 0 gives 0 (upper) or
    +inf (lower)."""
    t = v * z / b if upper else z * b / v
    return np.where(v > 0.0, t * t, np.where(v <= 0.0, 0.0 if upper else np.inf, v))


# ----------------------------------------------------------------------------------------
# Config, grid, output
# ----------------------------------------------------------------------------------------
def grid_points(config):
    if config.get("model") != "hidden_kev_fermion":
        fail("only model hidden_kev_fermion is ported")
    if config.get("sampler", {"kind": "grid"}).get("kind", "grid") != "grid":
        fail("only the grid sampler is ported")
    if config.get("constraints", "default") != "default":
        fail("only \"constraints\": \"default\" is ported")
    base = dict(PARAMETERS)
    axes, derived = [], []
    for name, spec in config.get("parameters", {}).items():
        if name not in base:
            fail("unknown parameter %r" % name)
        if isinstance(spec, (int, float)):
            base[name] = float(spec)
        elif "value" in spec:
            base[name] = float(spec["value"])
        elif "equal_to" in spec:
            derived.append((name, spec["equal_to"], float(spec.get("factor", 1.0))))
        else:
            lo, hi = map(float, spec["range"])
            axes.append((name, lo, hi, spec.get("scale", "lin"), int(spec["points"])))
    total = int(np.prod([a[4] for a in axes])) if axes else 1
    idx = np.arange(total, dtype=np.int64)
    P = {k: np.full(total, v) for k, v in base.items()}
    rest = idx.copy()
    for name, lo, hi, scale, npts in reversed(axes):       # the last axis runs fastest
        k = rest % npts
        rest //= npts
        u = k / (npts - 1) if npts > 1 else np.zeros(total)
        if scale == "log":
            val = np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            val = lo + u * (hi - lo)
        val = np.where(u == 0.0, lo, np.where(u == 1.0, hi, val))
        P[name] = val
    for name, src, factor in derived:
        P[name] = factor * P[src]
    return P, idx


def write(path, P, O, verdicts, allowed, status, chi2_total, idx, chunk=4096):
    import h5py
    opts = dict(compression="gzip", compression_opts=1, shuffle=True,
                chunks=(min(chunk, len(idx)),))
    with h5py.File(path, "w") as f:
        f.attrs["model"] = "hidden_kev_fermion"
        f.attrs["writer"] = "tests/bench/peer/peer.py"
        for k, v in P.items():
            f.create_dataset("parameters/" + k, data=v, **opts)
        for k, v in O.items():
            f.create_dataset("observables/" + k, data=v, **opts)
        for k, (p, s, c2) in verdicts.items():
            f.create_dataset("constraints/%s/pass" % k, data=p, **opts)
            f.create_dataset("constraints/%s/statistic" % k, data=s, **opts)
            f.create_dataset("constraints/%s/chi2" % k, data=c2, **opts)
        f.create_dataset("allowed", data=allowed, **opts)
        f.create_dataset("chi2_total", data=chi2_total, **opts)
        f.create_dataset("status", data=status, **opts)
        f.create_dataset("index", data=idx.astype(np.uint64), **opts)


def build_tables():
    global GSTAR, GSTARS, QUARKS, HADRONS_SUM, INCREMENT, PORTAL, SUPPRESSION, YIELDS
    for st in (BOSON, FERMION):
        for mo in (ENERGY, ENTROPY, NUMBER):
            WT[(st, mo)] = WeightTable(st, mo)
    GSTAR = GStarTable(ENERGY)
    GSTARS = GStarTable(ENTROPY)
    TH[FERMION] = ThresholdTable(FERMION)
    TH[BOSON] = ThresholdTable(BOSON)
    HADRONS_SUM = SpeciesSumTable(1e-4, T_QCD)
    QUARKS = SpeciesSumTable(T_QCD, T_EW)
    INCREMENT = IncrementTable()
    PORTAL = portal_integrals()
    SUPPRESSION = SuppressionTable()
    YIELDS = YieldTables()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("-o", "--output", help="HDF5 file (default: the config's name with .peer.h5)")
    ap.add_argument("--no-write", action="store_true", help="compute and judge only")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    try:
        config = json.load(open(a.config))
    except (OSError, ValueError) as e:
        fail("cannot read %s: %s" % (a.config, e))
    clock = time.process_time      # CPU seconds: the machine may be shared
    t0 = clock()
    P, idx = grid_points(config)
    build_tables()
    t1 = clock()
    O, status = compute(P)
    verdicts, allowed, status, chi2_total = judge(default_chain(), P, O, status)
    t2 = clock()
    if not a.no_write:
        out = a.output or os.path.splitext(os.path.basename(a.config))[0] + ".peer.h5"
        write(out, P, O, verdicts, allowed, status, chi2_total, idx)
    t3 = clock()
    if not a.quiet:
        print("peer: %d points, CPU seconds: tables %.3f, kernel + chain %.3f, write %.3f; "
              "allowed %d" % (idx.size, t1 - t0, t2 - t1, t3 - t2, int(allowed.sum())))


if __name__ == "__main__":
    main()
