import json
d=json.load(open(__import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), 'points.json')))
for p in d['points']:
    print('=====',p['name'])
    e=p['exact']
    for k in ['ordering','light_masses_all5','m1','m2','m3','dm2_21','dm2_3l','sin2_theta12','sin2_theta13','sin2_theta23','delta_CP','alpha21','alpha31','Jarlskog','sin_delta_from_J','nonunitarity_max','chi_masses','U_alpha_chi_sq','m_ee','m_beta','heavy_masses','takagi_reconstruction_maxabs_GeV','takagi_unitarity_maxabs','jacobi_sweeps']:
        print(' ',k,e[k])
    for k in ['diff_LO_vs_exact','diff_resummed_vs_exact','ci_residual_exact_vs_input','ci_residual_exact_vs_input_hpYukawa','ci_residual_LO_vs_input_hpYukawa','shift_vs_P1_exact','rel_diff_3NR_decoupled_vs_1NR','chi_effect_on_active_mass']:
        if k in p: print(' ',k, {a:(('%.3g'%b) if isinstance(b,float) else b) for a,b in p[k].items()})
