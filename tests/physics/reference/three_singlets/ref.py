#!/usr/bin/python3
"""Independent high-precision reference for the Chang & Ng (2020) keV-fermion
hidden sector, generalised to three heavy Majorana N_R.

Basis (all left-handed Weyl fields):  n = (nu_e, nu_mu, nu_tau, chi_L, chi_R^c, N_1^c, N_2^c, N_3^c)

Lagrangian (paper Eq. 1, generalised to i = 1..3):
  -L = y_{a i} lbar_a N_i Htilde + 1/2 M_i Nbar_i^c N_i
       + fL_i chibar_L N_i phi + fR_i chibar_R^c N_i phi^* + M_chi chibar chi + h.c.
  <H> = v/sqrt2, <phi> = v_s/sqrt2  (paper text below Eq. 2)

Mass matrix  MM  ("Lagrangian-entry" matrix, symmetric 8x8):
  MM[a, N_i]       = y_{a i} v / sqrt2
  MM[chiL, N_i]    = fL_i v_s / sqrt2
  MM[chiRc, N_i]   = fR_i v_s / sqrt2
  MM[chiL, chiRc]  = M_chi
  MM[N_i, N_i]     = M_i
  everything else 0 (no tree-level nu or chi Majorana masses).
With  n = U n'  (nu_alpha = sum_i U_{alpha i} nu_i, the charged-current mixing of paper Eq. 11),
the Takagi factorisation is    MM = U diag(m) U^T ,  m >= 0.
Equivalently the holomorphic Weyl mass matrix  M_hol = MM^*  (coefficient of 1/2 psi psi)
satisfies  M_hol = U^* diag(m) U^dagger  (the form portalscan's docs use).

All linear algebra is done with Python's decimal module (PREC digits), via a cyclic
Jacobi eigen-solver on the real symmetric 2n x 2n embedding [[Re MM, Im MM],[Im MM, -Re MM]]
whose eigenvectors (x, y) with eigenvalue +m give Takagi vectors u = x + i y  (MM u^* = m u).
"""
import math, json, sys, copy
from decimal import Decimal as D, getcontext

PREC = 120
getcontext().prec = PREC

# ---------------------------------------------------------------- scalar helpers
def dpi():
    getcontext().prec += 5
    three = D(3)
    lasts, t, s, n, na, d, da = 0, three, 3, 1, 0, 0, 24
    while s != lasts:
        lasts = s
        n, na = n + na, na + 8
        d, da = d + da, da + 32
        t = (t * n) / d
        s += t
    getcontext().prec -= 5
    return +s

PI = dpi()
TWOPI = 2 * PI

def _reduce(x):
    x = D(x)
    k = (x / TWOPI).to_integral_value()
    return x - k * TWOPI

def dcos(x):
    x = _reduce(x)
    getcontext().prec += 10
    i, lasts, s, fact, num, sign = 0, 0, D(1), 1, D(1), 1
    while s != lasts:
        lasts = s
        i += 2
        fact *= i * (i - 1)
        num *= x * x
        sign *= -1
        s += num / fact * sign
    getcontext().prec -= 10
    return +s

def dsin(x):
    x = _reduce(x)
    getcontext().prec += 10
    i, lasts, s, fact, num, sign = 1, 0, x, 1, x, 1
    while s != lasts:
        lasts = s
        i += 2
        fact *= i * (i - 1)
        num *= x * x
        sign *= -1
        s += num / fact * sign
    getcontext().prec -= 10
    return +s

def dcosh(x):
    e = D(x).exp(); return (e + 1 / e) / 2

def dsinh(x):
    e = D(x).exp(); return (e - 1 / e) / 2

def datan2(y, x):
    """high-precision atan2 via Newton refinement of the float value; result in (-pi, pi]"""
    y, x = D(y), D(x)
    th = D(math.atan2(float(y), float(x)))
    for _ in range(6):
        c, s = dcos(th), dsin(th)
        den = x * c + y * s
        if den == 0:
            break
        th = th - (x * s - y * c) / den
    return th

def mod2pi(a):
    a = D(a)
    k = (a / TWOPI).to_integral_value(rounding='ROUND_FLOOR')
    a = a - k * TWOPI
    if a >= TWOPI: a -= TWOPI
    if a < 0: a += TWOPI
    return a

def snap(a, eps=D('1e-30')):
    """phases in [0,2pi); values within eps of 2pi (numerical zero) are reported as 0"""
    return D(0) if (TWOPI - a) < eps or a < eps else a

def dsqrt(x):
    return D(x).sqrt()

# ---------------------------------------------------------------- complex Decimal
class C:
    __slots__ = ('re', 'im')
    def __init__(self, re=0, im=0):
        self.re = re if isinstance(re, D) else D(re)
        self.im = im if isinstance(im, D) else D(im)
    def __add__(s, o):
        if not isinstance(o, C): o = C(o)
        return C(s.re + o.re, s.im + o.im)
    __radd__ = __add__
    def __sub__(s, o):
        if not isinstance(o, C): o = C(o)
        return C(s.re - o.re, s.im - o.im)
    def __rsub__(s, o):
        return C(o) - s
    def __neg__(s):
        return C(-s.re, -s.im)
    def __mul__(s, o):
        if not isinstance(o, C):
            o = D(o); return C(s.re * o, s.im * o)
        return C(s.re * o.re - s.im * o.im, s.re * o.im + s.im * o.re)
    __rmul__ = __mul__
    def __truediv__(s, o):
        if not isinstance(o, C):
            o = D(o); return C(s.re / o, s.im / o)
        d = o.re * o.re + o.im * o.im
        return C((s.re * o.re + s.im * o.im) / d, (s.im * o.re - s.re * o.im) / d)
    def conj(s):
        return C(s.re, -s.im)
    def abs2(s):
        return s.re * s.re + s.im * s.im
    def abs(s):
        return dsqrt(s.abs2())
    def arg(s):
        return datan2(s.im, s.re)
    def tolist(s):
        return [float(s.re), float(s.im)]
    def __repr__(s):
        return '(%s%+si)' % (float(s.re), float(s.im))

def cexp_i(phi):
    return C(dcos(phi), dsin(phi))

def ccos(z):
    return C(dcos(z.re) * dcosh(z.im), -dsin(z.re) * dsinh(z.im))

def csin(z):
    return C(dsin(z.re) * dcosh(z.im), dcos(z.re) * dsinh(z.im))

I = C(0, 1)

# ---------------------------------------------------------------- matrices (lists of lists of C)
def zeros(n, m=None):
    m = n if m is None else m
    return [[C() for _ in range(m)] for _ in range(n)]

def eye(n):
    A = zeros(n)
    for i in range(n): A[i][i] = C(1)
    return A

def mm(A, B):
    n, k, m = len(A), len(B), len(B[0])
    R = zeros(n, m)
    for i in range(n):
        Ai = A[i]
        for j in range(m):
            re = D(0); im = D(0)
            for l in range(k):
                a = Ai[l]; b = B[l][j]
                re += a.re * b.re - a.im * b.im
                im += a.re * b.im + a.im * b.re
            R[i][j] = C(re, im)
    return R

def T(A):
    return [[A[j][i] for j in range(len(A))] for i in range(len(A[0]))]

def H(A):
    return [[A[j][i].conj() for j in range(len(A))] for i in range(len(A[0]))]

def conjm(A):
    return [[x.conj() for x in row] for row in A]

def madd(A, B, sb=1):
    return [[A[i][j] + B[i][j] * sb for j in range(len(A[0]))] for i in range(len(A))]

def mscale(A, s):
    return [[x * s for x in row] for row in A]

def maxabs(A):
    return max(x.abs() for row in A for x in row)

def diagm(v):
    n = len(v); A = zeros(n)
    for i in range(n): A[i][i] = v[i] if isinstance(v[i], C) else C(v[i])
    return A

# ---------------------------------------------------------------- Jacobi eigen-solver (real symmetric, Decimal)
def jacobi(A, tol):
    n = len(A)
    A = [row[:] for row in A]
    V = [[D(1) if i == j else D(0) for j in range(n)] for i in range(n)]
    for sweep in range(100):
        off = max(abs(A[p][q]) for p in range(n) for q in range(p + 1, n))
        if off <= tol:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = A[p][q]
                if abs(apq) <= tol:
                    continue
                theta = (A[q][q] - A[p][p]) / (2 * apq)
                t = 1 / (abs(theta) + (theta * theta + 1).sqrt())
                if theta < 0: t = -t
                c = 1 / (t * t + 1).sqrt(); s = t * c
                for k in range(n):
                    akp, akq = A[k][p], A[k][q]
                    A[k][p] = c * akp - s * akq
                    A[k][q] = s * akp + c * akq
                for k in range(n):
                    apk, aqk = A[p][k], A[q][k]
                    A[p][k] = c * apk - s * aqk
                    A[q][k] = s * apk + c * aqk
                for k in range(n):
                    vkp, vkq = V[k][p], V[k][q]
                    V[k][p] = c * vkp - s * vkq
                    V[k][q] = s * vkp + c * vkq
    else:
        raise RuntimeError('Jacobi did not converge')
    return [A[i][i] for i in range(n)], V, sweep

def takagi(M):
    """M complex symmetric n x n (list of lists of C).  Returns (m ascending, U) with
    M = U diag(m) U^T, U unitary (columns = Takagi vectors)."""
    n = len(M)
    scale = maxabs(M)
    Hm = [[D(0)] * (2 * n) for _ in range(2 * n)]
    for i in range(n):
        for j in range(n):
            a, b = M[i][j].re, M[i][j].im
            Hm[i][j] = a; Hm[i][j + n] = b; Hm[i + n][j] = b; Hm[i + n][j + n] = -a
    tol = scale * D(10) ** (-(PREC - 10))
    ev, V, sweeps = jacobi(Hm, tol)
    ztol = scale * D(10) ** (-(PREC - 30))
    pos, null = [], []
    for k in range(2 * n):
        u = [C(V[i][k], V[i + n][k]) for i in range(n)]
        if ev[k] > ztol:
            pos.append((ev[k], u))
        elif abs(ev[k]) <= ztol:
            null.append(u)
    kz = n - len(pos)
    assert len(null) == 2 * kz, (len(pos), len(null))
    # complex Gram-Schmidt with pivoting inside the null space
    basis = []
    cand = [u[:] for u in null]
    for _ in range(kz):
        best, bestn = None, D(-1)
        for u in cand:
            w = u[:]
            for b in basis:
                ip = sum((b[i].conj() * w[i] for i in range(n)), C())
                w = [w[i] - b[i] * ip for i in range(n)]
            nw = dsqrt(sum(x.abs2() for x in w))
            if nw > bestn: best, bestn = w, nw
        basis.append([x / bestn for x in best])
    allp = sorted(pos, key=lambda t: t[0]) 
    ms = [D(0)] * kz + [t[0] for t in allp]
    cols = basis + [t[1] for t in allp]
    U = [[cols[j][i] for j in range(n)] for i in range(n)]
    return ms, U, sweeps

def takagi_check(M, m, U):
    R = madd(mm(mm(U, diagm(m)), T(U)), M, -1)
    un = madd(mm(H(U), U), eye(len(U)), -1)
    return maxabs(R), maxabs(un)

# ---------------------------------------------------------------- model
SQ2 = dsqrt(2)

def dirac_block(inp):
    """m_D (5 x nN): rows e, mu, tau, chiL, chiRc ; columns N_i"""
    v, vs = inp['v'], inp['v_s']
    nN = len(inp['M_N'])
    m = zeros(5, nN)
    for a in range(3):
        for i in range(nN):
            m[a][i] = inp['y'][a][i] * (v / SQ2)
    for i in range(nN):
        m[3][i] = C(inp['f_L'][i] * vs / SQ2)
        m[4][i] = C(inp['f_R'][i] * vs / SQ2)
    return m

def light_tree(inp):
    A = zeros(5)
    A[3][4] = C(inp['M_chi']); A[4][3] = C(inp['M_chi'])
    return A

def full_matrix(inp):
    nN = len(inp['M_N'])
    n = 5 + nN
    M = zeros(n)
    A = light_tree(inp); mD = dirac_block(inp)
    for i in range(5):
        for j in range(5): M[i][j] = A[i][j]
        for j in range(nN):
            M[i][5 + j] = mD[i][j]; M[5 + j][i] = mD[i][j]
    for j in range(nN):
        M[5 + j][5 + j] = C(inp['M_N'][j])
    return M

def eff_LO(inp):
    """paper Eq. 3/10 generalised: M_eff = M_0 - m_D M_N^-1 m_D^T (5x5)"""
    mD = dirac_block(inp)
    Minv = diagm([C(1 / x) for x in inp['M_N']])
    return madd(light_tree(inp), mm(mm(mD, Minv), T(mD)), -1)

def herm_inv_sqrt_1p(X, terms=80):
    """(1+X)^(-1/2) for small Hermitian X by binomial series"""
    n = len(X)
    R = eye(n); P = eye(n); coef = D(1)
    for k in range(1, terms):
        coef = coef * (D(-1) / 2 - (k - 1)) / k
        P = mm(P, X)
        term = mscale(P, coef)
        R = madd(R, term)
        if maxabs(term) < D(10) ** (-(PREC - 5)):
            break
    return R

def eff_resummed(inp):
    """block decoupling to all orders in Theta = m_D M^-1 (up to O(m_light/M_N)):
       X = S^-1 M0 S^-T ,  S = (1 + Theta Theta^+)^(1/2),  light mixing W11 = S^-1 V"""
    mD = dirac_block(inp)
    Minv = diagm([C(1 / x) for x in inp['M_N']])
    Th = mm(mD, Minv)
    Sinv = herm_inv_sqrt_1p(mm(Th, H(Th)))
    M0 = eff_LO(inp)
    return mm(mm(Sinv, M0), T(Sinv)), Sinv

# ---------------------------------------------------------------- PMNS / Casas-Ibarra
def pmns(s12sq, s13sq, s23sq, delta, a21=D(0), a31=D(0)):
    s12, s13, s23 = dsqrt(s12sq), dsqrt(s13sq), dsqrt(s23sq)
    c12, c13, c23 = dsqrt(1 - s12sq), dsqrt(1 - s13sq), dsqrt(1 - s23sq)
    ed = cexp_i(delta); emd = ed.conj()
    V = [[C(c12 * c13), C(s12 * c13), emd * s13],
         [C(-s12 * c23) - ed * (c12 * s23 * s13), C(c12 * c23) - ed * (s12 * s23 * s13), C(s23 * c13)],
         [C(s12 * s23) - ed * (c12 * c23 * s13), C(-c12 * s23) - ed * (s12 * c23 * s13), C(c23 * c13)]]
    P = diagm([C(1), cexp_i(a21 / 2), cexp_i(a31 / 2)])
    return mm(V, P)

def rot(i, j, z):
    R = eye(3); c, s = ccos(z), csin(z)
    R[i][i] = c; R[j][j] = c; R[i][j] = -s; R[j][i] = s
    return R

def R_matrix(w1, w2, w3):
    """R = R_12(w3) R_13(w2) R_23(w1), R_ij(z): (ii)=(jj)=cos z, (ij)=-sin z, (ji)=+sin z.
    This reproduces the explicit matrix of Casas & Ibarra (hep-ph/0103065)."""
    return mm(mm(rot(0, 1, w3), rot(0, 2, w2)), rot(1, 2, w1))

def light_masses_from(ordering, mlight, dm21, dm3l):
    if ordering == 'NO':
        m1 = mlight; m2 = dsqrt(m1 * m1 + dm21); m3 = dsqrt(m1 * m1 + dm3l)
    else:  # IO, dm3l = m3^2 - m2^2 < 0
        m3 = mlight; m2 = dsqrt(m3 * m3 - dm3l); m1 = dsqrt(m2 * m2 - dm21)
    return [m1, m2, m3]

def casas_ibarra(ci, v, M_N):
    """y such that  -m_D M^-1 m_D^T = U diag(m) U^T  (Lagrangian-entry convention),
       m_D = y v/sqrt2 = i U sqrt(m) R^T sqrt(M)."""
    ms = light_masses_from(ci['ordering'], ci['m_lightest'], ci['dm2_21'], ci['dm2_3l'])
    U = pmns(ci['s12sq'], ci['s13sq'], ci['s23sq'], ci['delta'], ci['alpha21'], ci['alpha31'])
    R = R_matrix(*ci['R_angles'])
    Rt = T(R)
    mD = mscale(mm(mm(mm(U, diagm([C(dsqrt(x)) for x in ms])), Rt), diagm([C(dsqrt(x)) for x in M_N])), I)
    y = mscale(mD, SQ2 / v)
    # orthogonality residual of R
    orth = maxabs(madd(mm(T(R), R), eye(3), -1))
    return y, ms, U, R, orth

# ---------------------------------------------------------------- observables
def analyse(L, m5):
    """L: 5x5 light mixing block (rows e,mu,tau,chiL,chiRc; cols the 5 light states, ascending m5)."""
    chi_c = [L[3][i].abs2() + L[4][i].abs2() for i in range(5)]
    order = sorted(range(5), key=lambda i: chi_c[i])
    act = sorted(order[:3], key=lambda i: m5[i])
    chi = sorted(order[3:], key=lambda i: m5[i])
    a, b, c = [m5[i] for i in act]
    if (b * b - a * a) < (c * c - b * b):
        ordering = 'NO'; lab = act            # (1,2,3) = (a,b,c)
    else:
        ordering = 'IO'; lab = [act[1], act[2], act[0]]   # m3 < m1 < m2
    m1, m2, m3 = [m5[i] for i in lab]
    N = [[L[r][i] for i in lab] for r in range(3)]
    dm21 = m2 * m2 - m1 * m1
    dm3l = (m3 * m3 - m1 * m1) if ordering == 'NO' else (m3 * m3 - m2 * m2)
    ae1, ae2, ae3 = N[0][0].abs(), N[0][1].abs(), N[0][2].abs()
    am3, at3 = N[1][2].abs(), N[2][2].abs()
    s12sq = ae2 * ae2 / (ae1 * ae1 + ae2 * ae2)
    s13sq = ae3 * ae3
    s13sq_norm = ae3 * ae3 / (ae1 * ae1 + ae2 * ae2 + ae3 * ae3)
    s23sq = am3 * am3 / (am3 * am3 + at3 * at3)
    s12, c12 = dsqrt(s12sq), dsqrt(1 - s12sq)
    s13, c13 = dsqrt(s13sq), dsqrt(1 - s13sq)
    s23, c23 = dsqrt(s23sq), dsqrt(1 - s23sq)
    # rephasing-invariant quartet  I = U_e1 U_mu3 U_e3^* U_mu1^*
    Iq = N[0][0] * N[1][2] * N[0][2].conj() * N[1][0].conj()
    # PDG: I = c12 c13^2 s23 s13 ( -s12 c23 e^{i delta} - c12 s23 s13 )
    z = (Iq / (c12 * c13 * c13 * s23 * s13) + C(c12 * s23 * s13)) * (D(-1) / (s12 * c23))
    delta = snap(mod2pi(z.arg()))
    J = (N[1][2] * N[0][2].conj() * N[0][1] * N[1][1].conj()).im
    sin_delta_J = J / (s12 * c12 * s23 * c23 * s13 * c13 * c13)
    a21 = snap(mod2pi(2 * (N[0][1] * N[0][0].conj()).arg()))
    a31 = snap(mod2pi(2 * (N[0][2] * N[0][0].conj()).arg() + 2 * delta))
    NN = mm(N, H(N))
    nonu = max((NN[i][j] - (C(1) if i == j else C(0))).abs() for i in range(3) for j in range(3))
    mee = sum((L[0][i] * L[0][i] * m5[i] for i in range(5)), C()).abs()
    mee3 = sum((N[0][k] * N[0][k] * [m1, m2, m3][k] for k in range(3)), C()).abs()
    mbeta = dsqrt(sum(N[0][k].abs2() * [m1, m2, m3][k] ** 2 for k in range(3)))
    Uchi = [[L[r][i].abs2() for r in range(3)] for i in chi]
    return dict(ordering=ordering, light_masses_all5=[m5[i] for i in range(5)],
                active_masses_ascending=[a, b, c], m1=m1, m2=m2, m3=m3,
                dm2_21=dm21, dm2_3l=dm3l, sin2_theta12=s12sq, sin2_theta13=s13sq,
                sin2_theta13_rownormalised=s13sq_norm, sin2_theta23=s23sq,
                delta_CP=delta, sin_delta_from_J=sin_delta_J, Jarlskog=J,
                alpha21=a21, alpha31=a31, nonunitarity_max=nonu,
                chi_masses=[m5[i] for i in chi], U_alpha_chi_sq=Uchi,
                chi_content=[chi_c[i] for i in chi],
                m_ee=mee, m_ee_3active_only=mee3, m_beta=mbeta,
                absU2_active_rows=[[L[r][i].abs2() for i in lab + chi] for r in range(3)])

def solve_point(inp, do_resummed=True):
    out = {}
    M = full_matrix(inp)
    m, U, sw = takagi(M)
    r1, r2 = takagi_check(M, m, U)
    nl = 5
    L = [[U[r][i] for i in range(nl)] for r in range(nl)]
    ex = analyse(L, m[:nl])
    ex['heavy_masses'] = m[nl:]
    ex['takagi_reconstruction_maxabs_GeV'] = r1
    ex['takagi_unitarity_maxabs'] = r2
    ex['jacobi_sweeps'] = sw
    out['exact'] = ex
    Me = eff_LO(inp)
    me, Ue, sw2 = takagi(Me)
    q1, q2 = takagi_check(Me, me, Ue)
    lo = analyse(Ue, me)
    lo['takagi_reconstruction_maxabs_GeV'] = q1
    out['leading_order_5x5'] = lo
    if do_resummed:
        X, Sinv = eff_resummed(inp)
        mx, V, _ = takagi(X)
        W = mm(Sinv, V)
        out['resummed_seesaw_5x5'] = analyse(W, mx)
    out['_M'] = M
    return out

# ---------------------------------------------------------------- JSON helpers
def jf(x):
    if isinstance(x, D): return float(x)
    if isinstance(x, C): return x.tolist()
    if isinstance(x, dict): return {k: jf(v) for k, v in x.items() if not k.startswith('_')}
    if isinstance(x, (list, tuple)): return [jf(v) for v in x]
    return x

def dec(x):
    """input -> Decimal of the IEEE double nearest to x (so JSON doubles are exact inputs)"""
    return D(float(x))

def cdec(z):
    return C(D(float(z.re)), D(float(z.im)))

KEYS_CMP = ['m1', 'm2', 'm3', 'dm2_21', 'dm2_3l', 'sin2_theta12', 'sin2_theta13',
            'sin2_theta23', 'delta_CP', 'alpha21', 'alpha31', 'm_ee', 'm_beta']

def rel(a, b):
    if b == 0: return abs(a - b)
    return abs((a - b) / b)

def phase_diff(a, b):
    d = mod2pi(a - b)
    if d > PI: d -= TWOPI
    return d

def compare(o, r, keys=KEYS_CMP):
    """relative differences (phases: absolute differences in rad) o vs reference r"""
    res = {}
    for k in keys:
        if k in ('delta_CP', 'alpha21', 'alpha31'):
            res[k] = phase_diff(o[k], r[k])
        elif k == 'nonunitarity_max':
            res[k] = o[k] - r[k]
        else:
            res[k] = (o[k] - r[k]) / r[k] if r[k] != 0 else o[k] - r[k]
    return res
