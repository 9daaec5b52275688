#!/usr/bin/python3
"""Generate points.json beside this script (run: /usr/bin/python3 make_points.py, about 10 s)"""
import json, time, random
from ref import *

deg = PI / 180
eV = D('1e-9')
V_EW = dec(246)

NUFIT_NO = dict(ordering='NO', s12sq='0.310', s13sq='0.02241', s23sq='0.558', delta_deg='222',
                dm2_21_eV2='7.39e-5', dm2_3l_eV2='2.523e-3')
NUFIT_IO = dict(ordering='IO', s12sq='0.310', s13sq='0.02261', s23sq='0.563', delta_deg='285',
                dm2_21_eV2='7.39e-5', dm2_3l_eV2='-2.509e-3')

def ci_block(base, m_lightest_eV='1e-3', a21='0', a31='0', R=((0, 0), (0, 0), (0, 0))):
    d = dict(base); d.update(m_lightest_eV=m_lightest_eV, alpha21_rad=a21, alpha31_rad=a31,
                             R_angles=[list(map(str, z)) for z in R])
    return d

def ci_to_dec(c):
    return dict(ordering=c['ordering'], m_lightest=D(c['m_lightest_eV']) * eV,
                dm2_21=D(c['dm2_21_eV2']) * eV * eV, dm2_3l=D(c['dm2_3l_eV2']) * eV * eV,
                s12sq=D(c['s12sq']), s13sq=D(c['s13sq']), s23sq=D(c['s23sq']),
                delta=D(c['delta_deg']) * deg, alpha21=D(c['alpha21_rad']), alpha31=D(c['alpha31_rad']),
                R_angles=[C(D(z[0]), D(z[1])) for z in c['R_angles']])

def ci_targets(cd, ms):
    return dict(m1=ms[0], m2=ms[1], m3=ms[2], dm2_21=cd['dm2_21'], dm2_3l=cd['dm2_3l'],
                sin2_theta12=cd['s12sq'], sin2_theta13=cd['s13sq'], sin2_theta23=cd['s23sq'],
                delta_CP=mod2pi(cd['delta']), alpha21=mod2pi(cd['alpha21']), alpha31=mod2pi(cd['alpha31']))

CI_KEYS = ['m1', 'm2', 'm3', 'dm2_21', 'dm2_3l', 'sin2_theta12', 'sin2_theta13', 'sin2_theta23',
           'delta_CP', 'alpha21', 'alpha31']

def yukawa_from_ci(c, MN):
    cd = ci_to_dec(c)
    y, ms, U, R, orth = casas_ibarra(cd, V_EW, [dec(x) for x in MN])
    return y, ms, cd, orth

points = []

def hp(x):
    return '0' if x == 0 else '{:.32e}'.format(x)

def add_point(name, desc, MN, y_hp, fL, fR, v_s, M_chi, ci=None, extra=None):
    """y_hp: 3x3 C (high precision).  Matrix inputs = IEEE doubles (JSON values are exact inputs)."""
    y_dbl = [[cdec(z) for z in row] for row in y_hp]
    inp = dict(v=V_EW, v_s=dec(v_s), M_chi=dec(M_chi), M_N=[dec(x) for x in MN], y=y_dbl,
               f_L=[dec(x) for x in fL], f_R=[dec(x) for x in fR])
    t0 = time.time()
    out = solve_point(inp)
    P = dict(name=name, description=desc,
             inputs=dict(v=float(V_EW), v_s=float(inp['v_s']), M_chi=float(inp['M_chi']),
                         M_N=[float(x) for x in inp['M_N']],
                         y=[[z.tolist() for z in row] for row in y_dbl],
                         y_high_precision=[[[hp(z.re), hp(z.im)] for z in row] for row in y_hp],
                         f_L=[float(x) for x in inp['f_L']], f_R=[float(x) for x in inp['f_R']]),
             mass_matrix_8x8=[[z.tolist() for z in row] for row in out['_M']],
             exact=out['exact'], leading_order_5x5=out['leading_order_5x5'],
             resummed_seesaw_5x5=out['resummed_seesaw_5x5'])
    ex, lo, rs = out['exact'], out['leading_order_5x5'], out['resummed_seesaw_5x5']
    keys = ['m1', 'm2', 'm3', 'dm2_21', 'dm2_3l', 'sin2_theta12', 'sin2_theta13', 'sin2_theta23',
            'delta_CP', 'alpha21', 'alpha31', 'm_ee', 'm_ee_3active_only', 'm_beta', 'nonunitarity_max']
    P['diff_LO_vs_exact'] = compare(lo, ex, keys)
    P['diff_resummed_vs_exact'] = compare(rs, ex, keys)
    P['diff_LO_vs_exact']['chi_masses'] = [(lo['chi_masses'][k] - ex['chi_masses'][k]) / ex['chi_masses'][k] for k in range(2)]
    P['diff_resummed_vs_exact']['chi_masses'] = [(rs['chi_masses'][k] - ex['chi_masses'][k]) / ex['chi_masses'][k] for k in range(2)]
    if ci is not None:
        y2, ms, cd, orth = yukawa_from_ci(ci, MN)
        P['inputs']['casas_ibarra'] = ci
        P['casas_ibarra_R_orthogonality_residual'] = orth
        tgt = ci_targets(cd, ms)
        P['casas_ibarra_target_masses_GeV'] = ms
        P['ci_residual_exact_vs_input'] = compare(ex, tgt, CI_KEYS)
        P['ci_residual_LO_vs_input'] = compare(lo, tgt, CI_KEYS)
        # same with the full-precision Yukawa (not rounded to doubles): pure seesaw accuracy
        inp_hp = dict(inp); inp_hp['y'] = y_hp
        inp_hp['M_N'] = [D(str(x)) for x in MN]
        o2 = solve_point(inp_hp, do_resummed=False)
        P['ci_residual_exact_vs_input_hpYukawa'] = compare(o2['exact'], tgt, CI_KEYS)
        P['ci_residual_LO_vs_input_hpYukawa'] = compare(o2['leading_order_5x5'], tgt, CI_KEYS)
    if extra: P.update(extra(out, inp))
    P['cpu_s'] = time.time() - t0
    points.append(P)
    print(name, 'done %.1fs' % P['cpu_s'], flush=True)
    return out, inp

MN1 = ['1e13', '2e13', '5e13']
Z3 = ['0', '0', '0']

# (1) CI NO NuFIT 4.1, R=1, f=0
c1 = ci_block(NUFIT_NO)
y1, _, _, _ = yukawa_from_ci(c1, MN1)
out1, _ = add_point('P1_CI_NO_R1_f0', 'Casas-Ibarra, normal ordering, NuFIT 4.1-like, m1=1e-3 eV, Majorana phases 0, R=1, chi decoupled (f=0)',
                    MN1, y1, Z3, Z3, '1000', '25e-6', ci=c1)

# (2) same Yukawas + f_L=f_R=1e-3
def extra2(out, inp):
    ex = out['exact']; e1 = out1['exact']
    return dict(shift_vs_P1_exact=compare(ex, e1, ['m1', 'm2', 'm3', 'dm2_21', 'dm2_3l', 'sin2_theta12', 'sin2_theta13',
                                                   'sin2_theta23', 'delta_CP', 'alpha21', 'alpha31', 'm_ee', 'm_ee_3active_only', 'm_beta']),
                note='ci_residual_* here = shift of the outputs away from the Casas-Ibarra inputs caused by f != 0 (relative for masses/dm2/sin2, absolute rad for phases)')
add_point('P2_CI_NO_R1_f1e-3', 'P1 Yukawas plus f_L_i=f_R_i=1e-3, v_s=1000 GeV, M_chi=25 keV',
          MN1, y1, ['1e-3'] * 3, ['1e-3'] * 3, '1000', '25e-6', ci=c1, extra=extra2)

# (3) inverted ordering
c3 = ci_block(NUFIT_IO)
y3, _, _, _ = yukawa_from_ci(c3, MN1)
add_point('P3_CI_IO_R1_f0', 'Casas-Ibarra, inverted ordering (NuFIT 4.1 IO-like), m3=1e-3 eV, Majorana phases 0, R=1, f=0',
          MN1, y3, Z3, Z3, '1000', '25e-6', ci=c3)

# (4) complex R
Rc = (('0.3', '0.2'), ('-0.1', '0.4'), ('0.5', '-0.3'))
c4 = ci_block(NUFIT_NO, R=Rc)
y4, _, _, _ = yukawa_from_ci(c4, MN1)
add_point('P4_CI_NO_complexR_f0', 'Casas-Ibarra NO as P1 but complex R: (w1,w2,w3)=(0.3+0.2i,-0.1+0.4i,0.5-0.3i), R=R12(w3)R13(w2)R23(w1), f=0',
          MN1, y4, Z3, Z3, '1000', '25e-6', ci=c4)

# (5) random complex Yukawa, |y| in [0.1,0.5], with chi couplings
rng = random.Random(20200221)
y5 = []
for a in range(3):
    row = []
    for i in range(3):
        r = rng.uniform(0.1, 0.5); ph = rng.uniform(0, 2 * math.pi)
        row.append(C(D(r * math.cos(ph)), D(r * math.sin(ph))))
    y5.append(row)
add_point('P5_direct_random_y', 'direct random complex Yukawa (|y| in [0.1,0.5], seed 20200221), M_N=(1e13,3e13,1e14), f_L=(0.3,-0.5,0.2), f_R=(0.4,0.1,-0.6), v_s=2000, M_chi=5 keV',
          ['1e13', '3e13', '1e14'], y5, ['0.3', '-0.5', '0.2'], ['0.4', '0.1', '-0.6'], '2000', '5e-6')

# (6) N2,N3 decoupled vs one-N_R model (paper benchmark-like: M_N=1e10, y~1e-2, v_s=1 TeV, f~0.1, M_chi=10 keV)
y6_1 = [C('0.006', '0.002'), C('-0.011', '0.004'), C('0.009', '-0.007')]
tiny = D('1e-8')
y6 = [[y6_1[a], C(tiny * D(u2), 0), C(0, tiny * D(u3))] for a, (u2, u3) in enumerate([('1', '0.2'), ('0.5', '1'), ('-0.3', '0.7')])]
fL6 = ['0.1', '1e-8', '1e-8']; fR6 = ['0.08', '1e-8', '1e-8']
def extra6(out, inp):
    inp1 = dict(v=inp['v'], v_s=inp['v_s'], M_chi=inp['M_chi'], M_N=[inp['M_N'][0]],
                y=[[inp['y'][a][0]] for a in range(3)], f_L=[inp['f_L'][0]], f_R=[inp['f_R'][0]])
    M1 = full_matrix(inp1)
    m, U, sw = takagi(M1)
    L = [[U[r][i] for i in range(5)] for r in range(5)]
    one = analyse(L, m[:5]); one['heavy_masses'] = m[5:]
    one['takagi_reconstruction_maxabs_GeV'], one['takagi_unitarity_maxabs'] = takagi_check(M1, m, U)
    me, Ue, _ = takagi(eff_LO(inp1))
    oneLO = analyse(Ue, me)
    ex = out['exact']
    keys = ['m3', 'dm2_3l', 'sin2_theta13', 'sin2_theta23', 'm_ee', 'm_ee_3active_only', 'm_beta', 'nonunitarity_max']
    d = compare(ex, one, keys)
    d['chi_masses'] = [(ex['chi_masses'][k] - one['chi_masses'][k]) / one['chi_masses'][k] for k in range(2)]
    d['U_alpha_chi_sq'] = [[(ex['U_alpha_chi_sq'][k][a] - one['U_alpha_chi_sq'][k][a]) / one['U_alpha_chi_sq'][k][a] for a in range(3)] for k in range(2)]
    d['absU2_e3_mu3_tau3'] = [(ex['absU2_active_rows'][a][2] - one['absU2_active_rows'][a][2]) / one['absU2_active_rows'][a][2] for a in range(3)]
    # chi effect on the active mass vs paper Eq. 8
    v, vs, Mchi, M = inp['v'], inp['v_s'], inp['M_chi'], inp['M_N'][0]
    ysq = sum(inp['y'][a][0].abs2() for a in range(3))
    m_noChi = ysq * v * v / (2 * M)
    s = inp['f_L'][0] * inp['f_R'][0] * vs * vs / (Mchi * M)
    return dict(one_NR_model_exact_6x6=one, one_NR_model_LO_5x5=oneLO,
                rel_diff_3NR_decoupled_vs_1NR=d,
                note_1NR='one-N_R model has m1=m2=0 exactly: theta12, delta_CP, alpha21, alpha31, dm2_21 undefined there; compare only the listed keys',
                chi_effect_on_active_mass=dict(m3_without_chi_GeV=m_noChi, s=s,
                                               m3_exact_over_m3_without_chi_minus_1=one['m3'] / m_noChi - 1,
                                               prediction_this_work_1_over_1_minus_s_minus_1=1 / (1 - s) - 1,
                                               paper_Eq8_prediction_minus_s=-s),
                m_ee_seesaw_value_no_chi=abs(sum((inp['y'][0][i] * inp['y'][0][i] * (v * v / (2 * inp['M_N'][i])) for i in range(3)), C()).abs()))
add_point('P6_decoupled_N2N3_vs_1NR', 'N2,N3 decoupled (y_a2=1e-8*(1,0.5,-0.3), y_a3=1e-8 i*(0.2,1,0.7), f_{L,R 2,3}=1e-8), M_N=(1e10,2e10,5e10), y_a1 ~ 1e-2, f_L1=0.1, f_R1=0.08, v_s=1000, M_chi=10 keV; compared with the one-N_R model (6x6)',
          ['1e10', '2e10', '5e10'], y6, fL6, fR6, '1000', '1e-5', extra=extra6)

# (7) kitchen sink: IO, complex R, Majorana phases, chi couplings, lower M_N
c7 = ci_block(NUFIT_IO, m_lightest_eV='2e-3', a21='1.1', a31='4.0', R=Rc)
MN7 = ['1e10', '3e10', '1e11']
y7, _, _, _ = yukawa_from_ci(c7, MN7)
add_point('P7_CI_IO_complexR_majorana_f', 'Casas-Ibarra IO, m3=2e-3 eV, alpha21=1.1, alpha31=4.0 rad, complex R as P4, M_N=(1e10,3e10,1e11), f_L=(0.05,0.02,0.08), f_R=(0.03,0.07,0.01), v_s=1000, M_chi=10 keV; ci_residual_* = chi-induced shifts',
          MN7, y7, ['0.05', '0.02', '0.08'], ['0.03', '0.07', '0.01'], '1000', '1e-5', ci=c7)

# (8) low scale, large Im R: seesaw corrections visible
c8 = ci_block(NUFIT_NO, a21='0.5', a31='2.0', R=(('0.2', '0'), ('0.1', '0'), ('0.3', '10')))
MN8 = ['1000', '2000', '5000']
y8, _, _, _ = yukawa_from_ci(c8, MN8)
add_point('P8_CI_NO_lowscale_bigImR', 'Casas-Ibarra NO, m1=1e-3 eV, alpha21=0.5, alpha31=2.0, R angles (0.2, 0.1, 0.3+10i), M_N=(1,2,5) TeV, f=0: large cancellations, non-unitarity ~1e-6, LO seesaw visibly inexact',
          MN8, y8, Z3, Z3, '1000', '25e-6', ci=c8)

conv = dict(
    basis='(nu_e, nu_mu, nu_tau, chi_L, chi_R^c, N_1, N_2, N_3), all left-handed Weyl fields (N_i means N_iR^c)',
    mass_matrix='MM[a,N_i]=y_ai v/sqrt2, MM[chiL,N_i]=fL_i v_s/sqrt2, MM[chiRc,N_i]=fR_i v_s/sqrt2, MM[chiL,chiRc]=M_chi, MM[N_i,N_i]=M_i, rest 0; complex numbers as [re, im]',
    takagi='MM = U diag(m) U^T, nu_alpha = sum_i U_alpha_i nu_i (PDG/charged-current U). Equivalently conj(MM) = U^* diag(m) U^dagger.',
    light_states='5 lightest Takagi states; chi = the two with largest |U_chiL,i|^2+|U_chiRc,i|^2 (sorted by mass), the other three active-like',
    labels='active masses a<b<c: NO if b^2-a^2 < c^2-b^2 -> (m1,m2,m3)=(a,b,c); else IO -> (m3,m1,m2)=(a,b,c)',
    angles='N = 3x3 block (rows e,mu,tau; cols 1,2,3). s12^2=|N_e2|^2/(|N_e1|^2+|N_e2|^2), s13^2=|N_e3|^2 (also row-normalised variant), s23^2=|N_mu3|^2/(|N_mu3|^2+|N_tau3|^2)',
    delta='from Q=N_e1 N_mu3 N_e3^* N_mu1^* = c12 c13^2 s23 s13 (-s12 c23 e^{i delta} - c12 s23 s13): e^{i delta} = -(Q/(c12 c13^2 s23 s13) + c12 s23 s13)/(s12 c23), delta in [0,2pi)',
    majorana='alpha21 = 2 arg(N_e2 N_e1^*), alpha31 = 2 arg(N_e3 N_e1^*) + 2 delta (mod 2pi); PDG U = V diag(1, e^{i a21/2}, e^{i a31/2})',
    Jarlskog='J = Im(N_mu3 N_e3^* N_e2 N_mu2^*)',
    nonunitarity='max_ab |(N N^dagger - 1)_ab|',
    m_ee='|sum over 5 light states U_ei^2 m_i|', m_beta='sqrt(sum over 3 active |U_ei|^2 m_i^2)',
    casas_ibarra='m_D = y v/sqrt2 = i U sqrt(diag m) R^T sqrt(diag M_N); R = R12(w3) R13(w2) R23(w1), R_ij(z): (ii)=(jj)=cos z, (ij)=-sin z, (ji)=+sin z; then -m_D M^-1 m_D^T = U diag(m) U^T',
    units='GeV, GeV^2; phases in rad',
    inputs_note='matrix inputs are the IEEE doubles given in JSON (exact); y_high_precision = Casas-Ibarra Yukawa before rounding',
    diffs='diff_*/ci_residual_*: relative (o-ref)/ref for masses, dm2, sin2, m_ee, m_beta; absolute rad for phases',
    precision='decimal, %d digits; Jacobi on the real 2n x 2n embedding' % PREC,
    v=246.0)

with open('__import__("os").path.join(__import__("os").path.dirname(__import__("os").path.abspath(__file__)), "points.json")', 'w') as fh:
    json.dump(dict(conventions=conv, points=[jf(p) for p in points]), fh, indent=1)
print('written')
