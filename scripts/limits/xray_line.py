#!/usr/bin/env python3
"""Build the X-ray line limit files of constraints/data/limits/ from the
digitised curves of cdessert/SterileNeutrinoLimits (commit 5d910a9).

Run from the repository root with the source repository checked out at SRC:
    /usr/bin/python3 scripts/limits/xray_line.py SRC
It writes one file per search (numbers copied, NaN rows of masked instrumental
lines dropped, masses kept in keV) and the envelope: at every mass of any of
the three curves, the strongest limit among the curves that cover that mass
(log-log interpolation inside each curve, never across a masked gap).
"""
import sys
from pathlib import Path

import numpy as np

OUT = Path("constraints/data/limits")
SOURCE = ("digitised by C. Dessert et al.; numbers copied from cdessert/SterileNeutrinoLimits, "
          "commit 5d910a961270a47614d8879c56465157fb6a7768, file {file}; unchanged "
          "(masses in keV as stored){extra}")
LICENCE = ("none stated by the source repository (no LICENSE file; LICENSES/"
           "cdessert_SterileNeutrinoLimits.txt says so): only the numbers, facts of the cited paper's "
           "figure, are carried over, with the citation; no code or text")

CURVES = {
    "chandra_m31": dict(
        file="data/LimitsAbazajian2013_M31.npz",
        title="Chandra, M31 (Horiuchi et al. 2014), X-ray line, upper limit on sin^2(2 theta)",
        experiment="Chandra (M31)", arxiv="1311.0282",
        reference="S. Horiuchi et al., Phys. Rev. D 89 (2014) 025017, the M31 limit of the figure of "
                  "sin^2(2theta) vs m_s"),
    "xmm_mw_halo": dict(
        file="data/LimitsFoster2021_MWHalo.npy",
        title="XMM-Newton, Milky Way halo blank sky (Foster et al. 2021), X-ray line, upper limit on sin^2(2 theta)",
        experiment="XMM-Newton (MOS+PN, Milky Way halo)", arxiv="2102.02207",
        reference="J. W. Foster et al., Phys. Rev. Lett. 127 (2021) 051101, sterile-neutrino limit"),
    "nustar_bulge": dict(
        file="data/LimitsPerez2019_GalBulge.npz",
        title="NuSTAR, Galactic bulge (Roach et al. 2020), X-ray line, upper limit on sin^2(2 theta)",
        experiment="NuSTAR (Galactic bulge fields)", arxiv="1908.09037",
        reference="B. M. Roach et al., Phys. Rev. D 101 (2020) 103011, sterile-neutrino limit"),
}


def load(src, file):
    data = np.load(src / file, allow_pickle=False)
    if hasattr(data, "files"):
        return np.asarray(data["m_arr"], float), np.asarray(data["sin_arr"], float)
    return np.asarray(data[0], float), np.asarray(data[1], float)


def header(title, experiment, arxiv, reference, digitised, rows_note, licence=LICENCE):
    return "\n".join([
        "# portalscan-limit-1",
        f"# title: {title}",
        f"# experiment: {experiment}",
        f"# arxiv: {arxiv}",
        f"# reference: {reference}",
        "# cl: 0.95",
        "# x: m_s keV",
        "# y: sin^2(2theta) 1",
        "# excluded: above",
        "# interpolation: x=log y=log",
        f"# digitised: {digitised}{rows_note}",
        f"# licence: {licence}",
        "# note: the limit assumes a Majorana sterile neutrino that is all of the dark matter, "
        "Gamma(nu gamma) = 9 alpha G_F^2 sin^2(2theta) m^5/(1024 pi^4); portalscan compares it with the "
        "X-ray-equivalent mixing of chi (its nu gamma width times its share of the dark matter). CL: the "
        "one-sided 95% limit of the paper, as the compilation plots it; not re-read from the paper here.",
    ]) + "\n"


def segments(m, s):
    """Runs of finite rows: a masked (NaN) line splits the curve."""
    runs, cur = [], []
    for x, y in zip(m, s):
        if np.isfinite(y):
            cur.append((x, y))
        elif cur:
            runs.append(np.array(cur)); cur = []
    if cur:
        runs.append(np.array(cur))
    return runs


def main():
    src = Path(sys.argv[1])
    all_runs, all_x = {}, []
    for key, c in CURVES.items():
        m, s = load(src, c["file"])
        runs = segments(m, s)
        all_runs[key] = runs
        rows = np.concatenate(runs)
        dropped = len(m) - len(rows)
        note = f"; {dropped} masked (NaN) rows dropped" if dropped else ""
        if dropped:
            note += (" (instrumental lines where the search sets no limit: interpolating across them "
                     "would invent one, so this file is used only inside the envelope, where the other "
                     "searches cover the gaps)")
        text = header(c["title"], c["experiment"], c["arxiv"], c["reference"],
                      SOURCE.format(file=c["file"], extra=""), note)
        text += "".join(f"{x:.10g} {y:.6g}\n" for x, y in rows)
        (OUT / f"xray_{key}.dat").write_text(text)
        all_x.extend(rows[:, 0])

    pieces = [r for runs in all_runs.values() for r in runs]

    def values(x):
        """log y of every curve piece that covers x."""
        return [np.interp(np.log(x), np.log(r[:, 0]), np.log(r[:, 1]))
                for r in pieces if r[0, 0] <= x <= r[-1, 0]]

    xs = list(np.unique(np.array(all_x)))
    # Between two consecutive rows every curve is a straight line in log-log,
    # so their minimum is exact if the points where two lines cross are rows too.
    crossings = []
    for a, b in zip(xs[:-1], xs[1:]):
        covering = [r for r in pieces if r[0, 0] <= a and b <= r[-1, 0]]
        la, lb = np.log(a), np.log(b)
        ends = [(np.interp(la, np.log(r[:, 0]), np.log(r[:, 1])),
                 np.interp(lb, np.log(r[:, 0]), np.log(r[:, 1]))) for r in covering]
        for i in range(len(ends)):
            for j in range(i + 1, len(ends)):
                da = ends[i][0] - ends[j][0]
                db = ends[i][1] - ends[j][1]
                if da * db < 0:
                    crossings.append(np.exp(la + da / (da - db) * (lb - la)))
    xs = np.unique(np.array(xs + crossings))
    env = [(x, np.exp(min(values(x)))) for x in xs]
    env = np.array(env)
    assert np.all(np.isfinite(env[:, 1]))
    text = header(
        "X-ray line searches combined: the strongest of Chandra M31, XMM-Newton MW halo and NuSTAR bulge per mass",
        "Chandra, XMM-Newton, NuSTAR", "1311.0282, 2102.02207, 1908.09037",
        "the three limits of xray_chandra_m31.dat, xray_xmm_mw_halo.dat and xray_nustar_bulge.dat",
        "computed by scripts/limits/xray_line.py from those three files: at every mass of any of them, the "
        "smallest limit among the curves covering it (log-log interpolation inside a curve, never across "
        "a masked gap), with rows added where two curves cross, so that interpolating the envelope "
        "reproduces the strongest search at every mass", "",
        "as the three files it is computed from (numbers only)")
    text += "".join(f"{x:.10g} {y:.6g}\n" for x, y in env)
    (OUT / "xray_envelope.dat").write_text(text)
    print(len(env), "envelope rows (", len(crossings), "crossings),", env[0, 0], "-", env[-1, 0], "keV")


if __name__ == "__main__":
    main()
