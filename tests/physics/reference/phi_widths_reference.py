#!/usr/bin/env python3
# Independent reference for tests/physics/ScalarDecaysTest.cpp (errata E2, E5): the phi^0 width
# before and after, with alpha_s and the running masses integrated by RK4 (no closed forms).
# Usage: python3 phi_widths_reference.py  (prints the values the tests expect; standard library
# only; a few minutes, the RK4 steps call alpha_s by RK4 again)
import math
pi = math.pi
GF = 1.1663788e-5; MZ = 91.1876; asMZ = 0.1180
me, mmu, mtau = 0.51099895e-3, 0.1056583755, 1.77693
mpi, mK = 0.13957039, 0.493677
ms2, mc, mb, mt = 0.093, 1.27, 4.18, 172.57
mD, mB = 1.86484, 5.27934
hbar = 6.582119569e-25

def rk4(f, y, x0, x1, n=4000):
    h = (x1 - x0) / n; x = x0
    for _ in range(n):
        k1 = f(x, y); k2 = f(x + h/2, y + h/2*k1); k3 = f(x + h/2, y + h/2*k2); k4 = f(x + h, y + h*k3)
        y += h*(k1 + 2*k2 + 2*k3 + k4)/6; x += h
    return y

def b01(nf): return 11 - 2*nf/3, 102 - 38*nf/3
def run_as(a, mu0, mu1, nf):  # a = alpha_s/(4pi), L = ln mu^2
    b0, b1 = b01(nf)
    return rk4(lambda L, a: -b0*a*a - b1*a**3, a, math.log(mu0**2), math.log(mu1**2))
def nf_of(mu): return 6 if mu >= mt else 5 if mu >= mb else 4 if mu >= mc else 3
def thresholds(): return [mc, mb, mt]
def alphas(mu):
    # path from MZ to mu through thresholds
    a = asMZ/(4*pi); x = MZ
    pts = sorted([t for t in thresholds() if min(x, mu) < t < max(x, mu)], reverse=(mu < x))
    for t in pts:
        nf = nf_of(min(x, t)*1.0000001)
        a = run_as(a, x, t, nf); x = t
    a = run_as(a, x, mu, nf_of(min(x, mu)*1.0000001))
    return 4*pi*a

def run_mass(m0, mu0, mu1):
    # dm/dln mu^2 = -m (g0 a + g1 a^2), a = alpha_s(mu)/pi, nf from the alpha_s thresholds
    pts = sorted([t for t in thresholds() if min(mu0, mu1) < t < max(mu0, mu1)], reverse=(mu1 < mu0))
    x = mu0; m = m0
    for end in pts + [mu1]:
        nf = nf_of(min(x, end)*1.0000001)
        g1 = (202/3 - 20*nf/9)/16
        def f(L, m):
            a = alphas(math.exp(L/2))/pi
            return -m*(a + g1*a*a)
        m = rk4(f, m, math.log(x**2), math.log(end**2), n=200); x = end
    return m

def vel(m, M):
    r = 4*m*m/(M*M); return math.sqrt(1 - r) if r < 1 else 0.0
def ff(s, M, mf, nc): b = vel(mf, M); return s*s*nc*GF*mf*mf*M*b**3/(4*math.sqrt(2)*pi)
def A12(tau):
    if tau <= 1: f = math.asin(math.sqrt(tau))**2
    else:
        r = math.sqrt(1 - 1/tau); l = complex(math.log((1 + r)/(1 - r)), -pi); f = -0.25*l*l
    return 0.75*2*(tau + (tau - 1)*f)/tau**2
def gg_lo(s, M, a_s):
    A = sum(A12(M*M/(4*q*q)) for q in (mc, mb, mt))
    return s*s*GF*a_s**2*M**3/(36*math.sqrt(2)*pi**3)*abs(A)**2
def eq65(s, M, a_s):
    bp = vel(mpi, M)
    if bp == 0: return 0.0
    bk = vel(mK, M); br = 6 - 2*bp**3 - bk**3
    return (a_s/(3*pi))**2*br*br*s*s*GF*M**3/(4*math.sqrt(2)*pi)
def as_phi(M): return alphas(max(M, 1.0))
def leptons(s, M): return sum(ff(s, M, l, 1) for l in (me, mmu, mtau))

def old(s, M):
    a = as_phi(M)
    if M < 2.0: h = eq65(s, M, a)
    else: h = sum(ff(s, M, q, 3) for q in (ms2, mc, mb)) + gg_lo(s, M, a)
    return leptons(s, M), h

LO, HI = 1.5, 2.5  # the hand-over window, GeV
def quark(s, M, mrun, mhad, a_s, nf):
    b = vel(mhad, M); a = a_s/pi
    return 3*s*s*GF*mrun**2*M*b**3/(4*math.sqrt(2)*pi)*(1 + 17/3*a + (35.94 - 1.36*nf)*a*a)
def pert(s, M):
    a_s = as_phi(M); nf = nf_of(M); a = a_s/pi
    h = quark(s, M, run_mass(ms2, 2.0, M), mK, a_s, nf)
    h += quark(s, M, run_mass(mc, mc, M), mD, a_s, nf)
    h += quark(s, M, run_mass(mb, mb, M), mB, a_s, nf)
    h += gg_lo(s, M, a_s)*(1 + (95/4 - 7*nf/6)*a)
    return h
def new_had(s, M):
    if M <= LO: return eq65(s, M, as_phi(M))*vel(mpi, M)
    if M >= HI: return pert(s, M)
    w = (M - LO)/(HI - LO)
    lo = eq65(s, M, as_phi(M))*vel(mpi, M); hi = pert(s, M)
    return math.exp((1 - w)*math.log(lo) + w*math.log(hi))

if __name__ == "__main__":
    for M in (0.3, 1.0, 2.0, 3.0, 5.0, 12.0):
        l, h = old(1.0, M)
        print("m_phi %5.2f  before %.6e  after %.6e  (Gamma/sin^2 alpha, GeV)" % (M, l + h, leptons(1.0, M) + new_had(1.0, M)))
    for M in (3.72, 4.0, 10.5, 10.6):
        print("perturbative hadrons at %.2f GeV: %.6e" % (M, pert(1.0, M)))
    print("2 GeV: Eq.65 x beta_pi %.6e, perturbative %.6e" % (eq65(1, 2.0, as_phi(2.0)) * vel(mpi, 2.0), pert(1, 2.0)))
    print("m_c(3) %.6f m_b(12) %.6f m_c(200) %.6f" % (run_mass(mc, mc, 3.0), run_mass(mb, mb, 12.0), run_mass(mc, mc, 200.0)))
    b = pert(1, mb * (1 - 1e-9)) + leptons(1, mb * (1 - 1e-9)); a = pert(1, mb * (1 + 1e-9)) + leptons(1, mb * (1 + 1e-9))
    print("step at m_b: %.5f" % (a / b - 1))
