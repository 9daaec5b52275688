#!/usr/bin/python3
"""Kernel evaluations needed to place an exclusion boundary to a given resolution:
the refine sampler against a uniform grid and Sobol points (docs/performance.md, "refine").

For each plane a dense reference grid (the finest lattice of the refine scan, one node per
cell side) gives the true boundary: every reference cell whose corners disagree. A point set
places the boundary to a resolution r (a fraction of each axis's range, in its scale) when every
such cell's centre has a point of the set within r/2 in every coordinate, on each side (at least
one point in and one out inside the box). For the uniform grid that takes a node spacing of r;
for Sobol points it is measured by doubling N until it holds; for refine it is the cell side of
its finest level, checked the same way.

usage: refine_bench.py PORTALSCAN WORKDIR [--png DIR] [--only TEXT (planes whose title holds it)]
                       [--png-only (the refine scans and their pictures, no reference or Sobol)]
"""

import json
import math
import os
import subprocess
import sys

import h5py
import numpy as np

PORTALSCAN, WORK = sys.argv[1], sys.argv[2]
PNG = sys.argv[sys.argv.index("--png") + 1] if "--png" in sys.argv else None
os.makedirs(WORK, exist_ok=True)


def run(name, config):
    path = os.path.join(WORK, name + ".json")
    out = os.path.join(WORK, name + ".h5")
    config = dict(config)
    config["output"] = {"path": out, "chunk_points": 4096}
    with open(path, "w") as f:
        json.dump(config, f)
    r = subprocess.run([PORTALSCAN, "run", path, "--force"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{name}: {r.stderr}")
    return out, r.stdout


def unit(f, axes):
    """The points of a file in the unit cube of `axes` (name, low, high, log)."""
    cols = []
    for name, lo, hi, log in axes:
        x = f["parameters/" + name][:]
        cols.append((np.log(x / lo) / math.log(hi / lo)) if log else (x - lo) / (hi - lo))
    return np.stack(cols, axis=1)


def verdicts(f, criterion):
    if criterion == "allowed":
        return f["allowed"][:].astype(bool)
    return f["constraints/" + criterion["constraint"] + "/pass"][:].astype(bool)


def boundary_centres(u, v, nodes):
    """Centres of the reference grid's cells (nodes per axis) whose corners disagree."""
    d = u.shape[1]
    q = np.rint(u * (nodes - 1)).astype(np.int64)
    grid = np.zeros((nodes,) * d, dtype=np.int8)
    grid[tuple(q.T)] = v
    corners = [grid[tuple(slice(o, nodes - 1 + o) for o in offs)]
               for offs in np.ndindex(*(2,) * d)]
    mixed = np.zeros(corners[0].shape, dtype=bool)
    for c in corners[1:]:
        mixed |= c != corners[0]
    idx = np.argwhere(mixed)
    return (idx + 0.5) / (nodes - 1)


def located(points, v, centres, r):
    """The fraction of boundary centres with an in and an out point within r/2 (L-infinity)."""
    half = r / 2 * (1 + 1e-9)
    w = half * 2
    nb = int(math.ceil(1 / w)) + 1
    key = np.minimum((points / w).astype(np.int64), nb - 1)
    d = points.shape[1]
    flat = np.ravel_multi_index(key.T, (nb,) * d)
    order = np.argsort(flat, kind="stable")
    flat_sorted = flat[order]
    found = 0
    for c in centres:
        lo = np.maximum(((c - half) / w).astype(np.int64), 0)
        hi = np.minimum(((c + half) / w).astype(np.int64), nb - 1)
        seen_in = seen_out = False
        for cell in np.ndindex(*(hi - lo + 1)):
            b = np.ravel_multi_index(tuple(lo + np.array(cell)), (nb,) * d)
            a, e = np.searchsorted(flat_sorted, [b, b + 1])
            if a == e:
                continue
            sel = order[a:e]
            near = np.all(np.abs(points[sel] - c) <= half, axis=1)
            seen_in |= bool(np.any(v[sel][near]))
            seen_out |= bool(np.any(~v[sel][near]))
            if seen_in and seen_out:
                break
        found += seen_in and seen_out
    return found / max(1, len(centres))


ONLY = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
PNG_ONLY = "--png-only" in sys.argv


def axis_label(f, name):
    """NAME [unit] from the file's parameter attributes (a dimensionless one says so)."""
    unit = f["parameters/" + name].attrs.get("unit", b"")
    unit = unit.decode() if isinstance(unit, bytes) else str(unit)
    return name + (f" [{unit}]" if unit and unit != "1" else " (dimensionless)")


def picture(title, out, axes, rounds, nodes, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with h5py.File(out, "r") as f:
        x = f["parameters/" + axes[0][0]][:]
        y = f["parameters/" + axes[1][0]][:]
        xlabel, ylabel = axis_label(f, axes[0][0]), axis_label(f, axes[1][0])
    fig, ax = plt.subplots(figsize=(7, 5.5))
    for k in range(rounds.max() + 1):
        s = rounds == k
        ax.scatter(x[s], y[s], s=2 if k else 8, label=f"round {k}: {s.sum()} points",
                   c=[plt.cm.viridis(k / max(1, rounds.max()))])
    ax.set_xscale("log" if axes[0][3] else "linear")
    ax.set_yscale("log" if axes[1][3] else "linear")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}: refine, {len(x)} points (a {nodes} x {nodes} grid: {nodes ** 2})")
    ax.legend(loc="best", fontsize=7, markerscale=3)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def bench(title, model, fixed, axes, base, depth, constraints, criterion="allowed",
          sobol_max=2 ** 21, png=None):
    if ONLY and ONLY not in title:
        return None
    d = len(axes)
    nodes = (base - 1) * 2 ** depth + 1
    r = 1.0 / (nodes - 1)
    params = dict(fixed)
    for name, lo, hi, log in axes:
        params[name] = {"range": [lo, hi], "scale": "log" if log else "lin", "points": base}
    common = {"model": model, "constraints": constraints}
    refine_cfg = dict(common, parameters=params,
                      sampler={"kind": "refine", "depth": depth, "criterion": criterion})
    out, text = run(title + "-refine", refine_cfg)
    with h5py.File(out, "r") as f:
        u_ref, v_ref, rounds = unit(f, axes), verdicts(f, criterion), f["round"][:]
    if PNG_ONLY:
        if png and d == 2:
            picture(title, out, axes, rounds, nodes, png)
        return None
    # The dense reference: the uniform grid at the refine lattice's spacing.
    dense = {k: (dict(v, points=nodes) if isinstance(v, dict) and "range" in v else v)
             for k, v in params.items()}
    out_dense, _ = run(title + "-dense", dict(common, parameters=dense, sampler={"kind": "grid"}))
    with h5py.File(out_dense, "r") as f:
        u_d, v_d = unit(f, axes), verdicts(f, criterion)
    centres = boundary_centres(u_d, v_d, nodes)
    total_cells = len(centres)
    if len(centres) > 4000:  # a fixed subsample keeps the pure-Python check short (4D)
        centres = centres[np.random.default_rng(1).choice(len(centres), 4000, replace=False)]
    ok_refine = located(u_ref, v_ref, centres, r)
    # The uniform grid at the same resolution is the dense grid itself.
    grid_points = nodes ** d
    # Sobol: point i depends on i alone, so one scan of sobol_max points holds every shorter
    # one as its prefix; double N until the boundary is placed as finely.
    sparams = {k: ({kk: vv for kk, vv in v.items() if kk != "points"}
                   if isinstance(v, dict) and "range" in v else v) for k, v in params.items()}
    out_s, _ = run(title + "-sobol", dict(common, parameters=sparams,
                                            sampler={"kind": "sobol", "points": sobol_max}))
    with h5py.File(out_s, "r") as f:
        u_s, v_s = unit(f, axes), verdicts(f, criterion)
    os.remove(out_s)
    sobol_n, n, sobol_fraction = None, 1024, 0.0
    while n <= sobol_max:
        sobol_fraction = located(u_s[:n], v_s[:n], centres, r)
        if sobol_fraction == 1.0:
            sobol_n = n
            break
        n *= 2
    row = {
        "plane": title, "dims": d, "resolution": r, "boundary_cells": total_cells,
        "checked_cells": len(centres),
        "refine": len(u_ref), "refine_located_fraction": ok_refine, "grid": grid_points,
        "sobol": sobol_n, "sobol_max": sobol_max,
        "sobol_fraction_at_max": sobol_fraction,
        "rounds": [int(x) for x in np.bincount(rounds)],
    }
    print(json.dumps(row), flush=True)
    if png and d == 2:
        picture(title, out, axes, rounds, nodes, png)
    os.remove(out_dense)
    return row


rows = []
lfv_fixed = {"sin_alpha_mix": 0.1, "sin_beta_mix": 0.1}
lfv_chain = ["bbn_zprime_mass", "meson_decays_g_nu"]
rows.append(bench("lfv_nsi m_Zprime x g_psi", "lfv_nsi", {},
                  [("m_Zprime", 1e-3, 1.0, True), ("g_psi", 1e-3, 1.0, True)], 9, 6,
                  "default", sobol_max=2 ** 21,
                  png=PNG and os.path.join(PNG, "refine-lfv_nsi.png")))
rows.append(bench("lfv_nsi m_Zprime x g_psi, base 17", "lfv_nsi", {},
                  [("m_Zprime", 1e-3, 1.0, True), ("g_psi", 1e-3, 1.0, True)], 17, 5,
                  "default", sobol_max=2 ** 10))
rows.append(bench("lfv_nsi two constraints", "lfv_nsi", lfv_fixed,
                  [("m_Zprime", 1e-3, 2.0, True), ("g_psi", 1e-4, 3.0, True)], 9, 6, lfv_chain,
                  sobol_max=2 ** 21))
# M_N = 1e11 GeV, y_e = 1e-2, f_L = f_R = 0.1, m_phi = 2 GeV: almost nothing is allowed there (10
# of the refine scan's 2 687 points), so the refinement follows one constraint's edge,
# decaying_dark_matter's.
quick = {"M_N": 1e11, "y_e": 1e-2, "v_s": 1000.0, "f_L": 0.1, "f_R": {"equal_to": "f_L"},
         "m_phi": 2.0}
rows.append(bench("quick start M_chi x kappa", "hidden_kev_fermion", quick,
                  [("M_chi", 1e-6, 1e-4, True), ("kappa", 1e-11, 1e-7, True)], 9, 6, "default",
                  criterion={"constraint": "decaying_dark_matter"}, sobol_max=2 ** 18, png=PNG and os.path.join(PNG, "refine-quickstart.png")))
rows.append(bench("lfv_nsi 4D", "lfv_nsi", {},
                  [("m_Zprime", 1e-3, 2.0, True), ("g_psi", 1e-4, 3.0, True),
                   ("sin_alpha_mix", 1e-2, 0.3, True), ("sin_beta_mix", 1e-2, 0.3, True)],
                  5, 3, lfv_chain, sobol_max=2 ** 20))
with open(os.path.join(WORK, "refine-bench.json"), "w") as f:
    json.dump(rows, f, indent=1)
