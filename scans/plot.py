#!/usr/bin/python3
"""Exclusion plot of a portalscan HDF5 file in two parameters.

The points are binned in the plane of two parameters (logarithmic bins for
log-scanned ones), or of a parameter and a stored observable (g_nu, eps_ab_u:
binned with --bins). The colour is the fraction of allowed points per bin; each
constraint is drawn as the contour where it excludes half of the bin's points.
With `keep: allowed` files only the allowed region can be shown.

Run under Debian's interpreter (matplotlib and h5py come from python3-matplotlib
and python3-h5py):

    /usr/bin/python3 scans/plot.py quickstart.h5 --x M_chi --y kappa -o exclusion.png
"""

import argparse
import json
import sys
import textwrap

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fail(message):
    print(f"plot.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def observableAxis(f, name, bins):
    """A stored observable on an axis (g_nu, eps_ab_u, ...): log bins when it is positive and
    spans more than two decades, |value| for a signed one that is log-like (eps of one sign)."""
    d = f["observables"][name]
    values = d[:]
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        fail(f"observable '{name}' is NaN at every point")
    if np.all(finite < 0):
        values, finite, name = -values, -finite, "-" + name
    lo, hi = finite.min(), finite.max()
    log = lo > 0 and hi / lo > 100
    edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
    unit = d.attrs.get("unit", "1")
    unit = unit if isinstance(unit, str) else unit.decode()
    label = name if unit == "1" else f"{name} [{unit}]"
    return values, edges, log, label


def axis(f, name, bins):
    if name not in f["parameters"]:
        if "observables" in f and name in f["observables"]:
            return observableAxis(f, name, bins)
        stored = list(f["observables"]) if "observables" in f else []
        fail(f"unknown parameter or stored observable '{name}' (the file has the parameters "
             f"{', '.join(f['parameters'])}; the observables {', '.join(stored) or 'none'})")
    d = f["parameters"][name]
    values = d[:]
    scale = d.attrs.get("scale", "lin")
    if isinstance(scale, bytes):
        scale = scale.decode()
    if scale == "fixed":
        fail(f"parameter '{name}' is fixed in this scan")
    log = scale == "log" or (scale == "derived" and np.all(values > 0) and values.max() / values.min() > 100)
    lo, hi = values.min(), values.max()
    config = json.loads(f.attrs["config"])
    spec = config["parameters"].get(name)
    if config["sampler"]["kind"] == "grid" and isinstance(spec, dict) and spec.get("points", 0) > 1:
        # A grid's own cells: one bin per node, edges halfway between nodes.
        n = spec["points"]
        nodes = np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)
        inner = np.sqrt(nodes[:-1] * nodes[1:]) if log else 0.5 * (nodes[:-1] + nodes[1:])
        first = nodes[0] ** 2 / inner[0] if log else 2 * nodes[0] - inner[0]
        last = nodes[-1] ** 2 / inner[-1] if log else 2 * nodes[-1] - inner[-1]
        edges = np.concatenate([[first], inner, [last]])
    else:
        edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
    unit = d.attrs.get("unit", "1")
    label = name if unit in ("1", b"1") else f"{name} [{unit if isinstance(unit, str) else unit.decode()}]"
    return values, edges, log, label


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--x", required=True, help="parameter (or stored observable) on the horizontal axis")
    parser.add_argument("--y", required=True, help="parameter (or stored observable) on the vertical axis")
    parser.add_argument("--bins", default="40,40", help="NX,NY for non-grid scans (default 40,40)")
    parser.add_argument("-o", "--output", default="exclusion.png")
    args = parser.parse_args()
    try:
        nx, ny = (int(b) for b in args.bins.split(","))
    except ValueError:
        fail(f"--bins expects NX,NY, got '{args.bins}'")
    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        fail(f"cannot read '{args.file}': {e}")
    with f:
        x, xedges, xlog, xlabel = axis(f, args.x, nx)
        y, yedges, ylog, ylabel = axis(f, args.y, ny)
        allowed = f["allowed"][:].astype(float)
        counts, _, _ = np.histogram2d(x, y, [xedges, yedges])
        allowedCounts, _, _ = np.histogram2d(x, y, [xedges, yedges], weights=allowed)
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.where(counts > 0, allowedCounts / counts, np.nan)
        fig, ax = plt.subplots(figsize=(7.5, 6))
        mesh = ax.pcolormesh(xedges, yedges, fraction.T, cmap="Greens", vmin=0, vmax=1, shading="flat")
        fig.colorbar(mesh, ax=ax, label="fraction of points allowed")
        xc = np.sqrt(xedges[:-1] * xedges[1:]) if xlog else 0.5 * (xedges[:-1] + xedges[1:])
        yc = np.sqrt(yedges[:-1] * yedges[1:]) if ylog else 0.5 * (yedges[:-1] + yedges[1:])
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        handles = []
        keep = f.attrs.get("keep", "all")
        if keep in ("all", b"all"):
            for k, name in enumerate(f["constraints"]):
                passed = f["constraints"][name]["pass"][:].astype(float)
                passCounts, _, _ = np.histogram2d(x, y, [xedges, yedges], weights=passed)
                with np.errstate(invalid="ignore", divide="ignore"):
                    excluded = np.where(counts > 0, 1 - passCounts / counts, np.nan)
                if np.nanmax(excluded, initial=0) < 0.5 or np.nanmin(excluded, initial=1) > 0.5:
                    continue  # no boundary of this constraint inside the plane
                colour = colours[k % len(colours)]
                ax.contour(xc, yc, excluded.T, levels=[0.5], colors=[colour], linewidths=2)
                handles.append(plt.Line2D([], [], color=colour, lw=2, label=name))
        if xlog:
            ax.set_xscale("log")
        if ylog:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        model = f.attrs["model"]
        options = json.loads(f.attrs["options"])
        title = model + ("" if not options else " (" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")")
        ax.set_title(textwrap.fill(title, 90), fontsize=9)
        if handles:
            ax.legend(handles=handles, title="50% excluded by", fontsize=8, loc="best")
        fig.tight_layout()
        fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
