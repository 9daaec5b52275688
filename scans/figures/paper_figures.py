#!/usr/bin/python3
"""Chang & Ng's Fig. 2 (tritium) and Fig. 4 (CEvNS), regenerated from `portalscan spectrum`.

Every number plotted comes from the command line tool; this script only calls
it and draws. Run it under Debian's interpreter (python3-matplotlib):

    /usr/bin/python3 scans/figures/paper_figures.py -o docs/physics/figures

It writes fig2.png (panels a, b) and fig4.png (panels a-d); docs/physics/figures.md
sets them beside the paper's figures and explains every difference.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

KEV = 1e-6  # GeV
Q_TRITIUM_KEV = 18.59
# The paper's two mass sets (M1, M2) in keV, and the mixing |U_e4| = |U_e5| of Fig. 2.
MASS_SETS = [(7.0, 5.0), (7.0, 100.0)]
MIXING = 0.4
STYLE = {(7.0, 5.0): dict(color="tab:blue", linestyle=":"), (7.0, 100.0): dict(color="tab:red")}


def fail(message):
    print(f"paper_figures.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def find_portalscan(given):
    if given:
        return given
    here = os.path.dirname(os.path.abspath(__file__))
    built = os.path.join(here, "..", "..", "build", "release", "bin", "portalscan")
    if os.access(built, os.X_OK):
        return os.path.normpath(built)
    on_path = shutil.which("portalscan")
    if on_path:
        return on_path
    fail("portalscan not found: build it (README) or pass --portalscan PATH")


def spectrum(portalscan, kind, masses_kev, mixing, points, lo_kev=None, hi_kev=None):
    """The rows of `portalscan spectrum KIND` as a dict of columns."""
    command = [portalscan, "spectrum", kind, "--format", "json", "--points", str(points),
               "--masses", ",".join(f"{m * KEV:.12g}" for m in masses_kev),
               "--mixings", f"{mixing},{mixing}"]
    if lo_kev is not None:
        command += ["--from", f"{lo_kev * KEV:.12g}", "--to", f"{hi_kev * KEV:.12g}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"{' '.join(command)}: {done.stderr.strip()}")
    table = json.loads(done.stdout)
    names = [c["name"] for c in table["columns"]]
    nan = float("nan")
    return {n: [nan if row[i] is None else row[i] for row in table["rows"]] for i, n in enumerate(names)}


def label(masses):
    return f"$(M_1, M_2) = ({masses[0]:g}, {masses[1]:g})$ keV"


def figure2(portalscan, out):
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    sm = None
    for masses in MASS_SETS:
        t = spectrum(portalscan, "tritium_beta", masses, MIXING, 800, 0.05, Q_TRITIUM_KEV - 0.01)
        e = [x / KEV for x in t["E_kin"]]
        if sm is None:
            sm = [y * KEV for y in t["dR_dE_sm"]]
            a.plot(e, sm, color="black", label="Standard Model")
        a.plot(e, [y * KEV for y in t["dR_dE"]], label=label(masses), **STYLE[masses])
        b.plot(e, [d / (2 * MIXING**2) for d in t["deviation"]], label=label(masses), **STYLE[masses])
    for m in (5.0, 7.0):  # the kinks of Eqs. 17-18, E_e - m_e = Q - M
        for ax in (a, b):
            ax.axvline(Q_TRITIUM_KEV - m, color="grey", linewidth=0.6, linestyle="--")
    a.set_xlabel("$E_e - m_e$ [keV]")
    a.set_ylabel("$dR/dE_e$ [1/keV per decay]")
    a.set_title(f"(a) tritium, $|U_{{e4}}| = |U_{{e5}}| = {MIXING}$")
    a.legend(fontsize=8)
    b.set_xlabel("$E_e - m_e$ [keV]")
    b.set_ylabel(r"$[1 - (dR/dE)_X/(dR/dE)_{SM}]\;/\;2|U_{e4,5}|^2$")
    b.set_title("(b) deviation from the Standard Model")
    b.set_ylim(0, 1.05)
    b.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    path = os.path.join(out, "fig2.png")
    fig.savefig(path, dpi=110)
    return path


def figure4(portalscan, out):
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels = [("cevns_sns", 0.5, 46.0, "SNS (pi/mu decay at rest), CsI"),
              ("cevns_reactor", 0.01, 1.05, "reactor antineutrinos, CsI")]
    for row, (kind, lo, hi, title) in enumerate(panels):
        z, h = axes[0][row], axes[1][row]
        for masses in MASS_SETS:
            t = spectrum(portalscan, kind, masses, MIXING, 600, lo, hi)  # Eqs. 32-33 are per unit mixing
            recoil = [x / KEV for x in t["T"]]
            z.plot(recoil, t["eq32"], label=label(masses) + ", CN Eq. 32", **STYLE[masses])
            # Erratum E1: the full deviation (mass states incoherent, Z couplings
            # U^dag U) per |U_chi|^2 = MIXING^2, about 2 x 2|U_chi|^2 / |U_chi|^2.
            z.plot(recoil, [d / MIXING**2 for d in t["deviation"]], linewidth=2.5, alpha=0.45,
                   label=label(masses) + ", with E1", **STYLE[masses])
            h.plot(recoil, t["eq33"], label=label(masses), **STYLE[masses])
        letter_z, letter_h = ("a", "b") if row == 0 else ("c", "d")
        z.set_title(f"({letter_z}) Z exchange, {title}", fontsize=10)
        z.set_ylabel(r"$(1 - dN_\chi/dN_{SM})\,|U_\chi|^{-2}$  (Eq. 32; with E1)")
        z.set_yscale("log")
        h.set_title(f"({letter_h}) scalar exchange, {title}", fontsize=10)
        h.set_ylabel(r"$(dN_H/dN_{SM})\,|U_H|^{-2}$  (Eq. 33)")
        h.set_yscale("log")
        for ax in (z, h):
            ax.set_xlabel("$T$ [keV]")
            ax.legend(fontsize=8)
    for ax in (axes[0][0], axes[1][0]):  # T_+ of the 29.79 MeV nu_mu line on Cs and on I
        for jump in (14.3, 15.0):
            ax.axvline(jump, color="grey", linewidth=0.6, linestyle="--")
    fig.tight_layout()
    path = os.path.join(out, "fig4.png")
    fig.savefig(path, dpi=110)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", default="figures", help="directory for the PNGs")
    parser.add_argument("--portalscan", help="the portalscan binary (default: build/release or PATH)")
    args = parser.parse_args()
    portalscan = find_portalscan(args.portalscan)
    os.makedirs(args.output, exist_ok=True)
    for path in (figure2(portalscan, args.output), figure4(portalscan, args.output)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
