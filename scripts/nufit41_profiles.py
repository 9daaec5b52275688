#!/usr/bin/python3
"""Writes constraints/data/limits/nufit41_{NO,IO}_*.dat, the NuFIT 4.1 one-dimensional
Delta chi^2 profiles, from the copy of NuFIT's tables in GAMBIT 1.5
(NeutrinoBit/data/NuFit_v4.1/*.csv, BSD-3-Clause; licence notice in
constraints/data/limits/LICENSES/GambitBSM_gambit_1.5.txt).

Usage: nufit41_profiles.py DIR_WITH_THE_CSV_FILES GAMBIT_COMMIT

Every number is copied as written (the same digits); only the header is added.
"""
import os
import sys

SRC, COMMIT = sys.argv[1], sys.argv[2]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "constraints", "data",
                   "limits")

# (GAMBIT file stem, our quantity, x axis as "name unit", x-column, period, what it is)
QUANTITIES = [
    ("T12", "sin2_theta12", "sin2_theta12 1", None, None, "sin^2(theta_12)"),
    ("T13", "sin2_theta13", "sin2_theta13 1", None, None, "sin^2(theta_13)"),
    ("T23", "sin2_theta23", "sin2_theta23 1", None, None, "sin^2(theta_23)"),
    ("DCP", "delta_CP", "delta_CP deg", None, "360", "delta_CP (degrees, NuFIT's convention)"),
    ("DMS", "dm2_21", "dm2_21 eV^2", "log10", None,
     "Delta m^2_21 (the column is log10(Delta m^2_21 / eV^2), as NuFIT writes it)"),
    ("DMA", "dm2_3l", "dm2_3l 1e-3*eV^2", None, None,
     "Delta m^2_3l in units of 1e-3 eV^2 (Delta m^2_31 > 0 for normal ordering, "
     "Delta m^2_32 < 0 for inverted ordering)"),
]
ORDERINGS = [("n", "NO", "normal ordering"), ("i", "IO", "inverted ordering")]

for stem, quantity, axis, column, period, what in QUANTITIES:
    for suffix, tag, ordering in ORDERINGS:
        src = os.path.join(SRC, stem + suffix + ".csv")
        rows = [l.split() for l in open(src) if l.strip() and not l.startswith("#")]
        assert all(len(r) == 2 for r in rows), src
        minimum = min(float(r[1]) for r in rows)
        offset = ("its minimum is 0: the global minimum of the fit lies in normal ordering"
                  if tag == "NO" else
                  "its minimum, %s, is the Delta chi^2 of the best inverted-ordering fit above "
                  "the global (normal-ordering) minimum: every inverted-ordering table carries "
                  "this offset" % rows[[float(r[1]) for r in rows].index(minimum)][1])
        header = [
            "# portalscan-limit-1",
            "# title: NuFIT 4.1 (with SK atmospheric data), %s: one-dimensional Delta chi^2 "
            "profile of %s" % (ordering, what),
            "# experiment: NuFIT 4.1 global three-flavour fit of neutrino oscillation data, "
            "data set with the Super-Kamiokande atmospheric tabulated chi^2 (SK-atm)",
            "# arxiv: 1811.05487",
            "# reference: I. Esteban, M. C. Gonzalez-Garcia, A. Hernandez-Cabezudo, M. Maltoni, "
            "T. Schwetz, JHEP 01 (2019) 106 (NuFIT 4.0); tables of its update NuFIT 4.1 (July "
            "2019), www.nu-fit.org, release v4.1",
            "# shape: profile",
            "# x: " + axis,
        ]
        if column:
            header.append("# x-column: " + column)
        if period:
            header.append("# period: " + period)
        header += [
            "# y: Delta_chi2 1",
            "# interpolation: x=%s y=linear" % ("log" if column == "log10" else "linear"),
            "# digitised: not digitised: NuFIT's own table, numbers copied from "
            "GambitBSM/gambit_1.5, commit %s, file NeutrinoBit/data/NuFit_v4.1/%s%s.csv; "
            "unchanged (same digits, same rows)" % (COMMIT, stem, suffix),
            "# licence: BSD-3-Clause, Copyright (c) 2017-2021, The GAMBIT Collaboration; the "
            "notice is LICENSES/GambitBSM_gambit_1.5.txt",
            "# note: Delta chi^2 of the global fit, minimised over every other oscillation "
            "parameter, for %s; %s. The data set is the one with SK-atm: the inverted-ordering "
            "offset 10.45 matches the Delta chi^2 = 10.4 NuFIT 4.1 quotes for IO with SK-atm "
            "(6.2 without)."
            % (ordering, offset),
        ]
        path = os.path.join(OUT, "nufit41_%s_%s.dat" % (tag, quantity))
        with open(path, "w") as f:
            f.write("\n".join(header) + "\n")
            for r in rows:
                f.write("%s %s\n" % (r[0], r[1]))
        print(path, len(rows))
