#!/usr/bin/python3
"""Draws the PNG of `portalscan export --format png` from the JSON that export computed.

Called by portalscan as `/usr/bin/python3 export_png.py EXPORT.json OUT.png`; it only draws:
the bins, the profile or cut verdicts and the contour polygons all come from portalscan
(docs/plotting.md). Needs Debian's python3-matplotlib.
"""

import json
import sys
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch, PathPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

ALLOWED_95 = "#a1d99b"
ALLOWED_68 = "#41ab5d"
EMPTY = "#d9d9d9"
HATCH = "#8c8c8c"
CONSTRAINT_COLOURS = ["#d62728", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                      "#17becf", "#bcbd22", "#7f7f7f", "#2ca02c"]


def polygons_path(polygons, reverse=False):
    """One Path of closed polygons (non-zero fill: regions on the left of their boundary)."""
    vertices, codes = [], []
    for p in polygons:
        xs, ys = p["x"], p["y"]
        if reverse:
            xs, ys = xs[::-1], ys[::-1]
        pts = list(zip(xs, ys))
        if len(pts) < 3:
            continue
        vertices += pts + [pts[0]]
        codes += [Path.MOVETO] + [Path.LINETO] * (len(pts) - 1) + [Path.CLOSEPOLY]
    return vertices, codes


def region_patch(polygons, **kw):
    vertices, codes = polygons_path(polygons)
    if not vertices:
        return None
    return PathPatch(Path(vertices, codes), **kw)


def complement_patch(polygons, x0, x1, y0, y1, **kw):
    """The plot rectangle minus the polygons' regions."""
    frame = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    vertices = list(frame)
    codes = [Path.MOVETO] + [Path.LINETO] * 3 + [Path.CLOSEPOLY]
    v, c = polygons_path(polygons, reverse=True)
    return PathPatch(Path(vertices + v, codes + c), **kw)


def main():
    if len(sys.argv) != 3:
        print("usage: export_png.py EXPORT.json OUT.png", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        d = json.load(f)
    xe = np.array(d["x"]["edges"], dtype=float)
    ye = np.array(d["y"]["edges"], dtype=float)
    x0, x1, y0, y1 = xe[0], xe[-1], ye[0], ye[-1]
    profile = d["statistic"] == "delta_chi2"
    points = np.array(d["bins"]["points"], dtype=float)  # [x][y]
    valid = np.array(d["bins"]["valid_points"], dtype=float)

    fig = plt.figure(figsize=(9.0, 5.6))
    ax = fig.add_axes([0.09, 0.11, 0.56, 0.74])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    if d["x"]["log"]:
        ax.set_xscale("log")
    if d["y"]["log"]:
        ax.set_yscale("log")
    handles = []

    # Excluded side: the frame minus the widest allowed region, hatched.
    allowed = [c for c in d["contours"] if c["kind"] == "allowed"]
    widest = allowed[-1] if allowed else None  # profile: 95% comes last; cuts: the one region
    ax.add_patch(complement_patch(widest["polygons"] if widest else [], x0, x1, y0, y1,
                                  facecolor="white", edgecolor=HATCH, hatch="///", lw=0,
                                  zorder=1))
    handles.append(Patch(facecolor="white", edgecolor=HATCH, hatch="///",
                         label="excluded" + (" at 95% CL" if profile else "")))
    # Allowed regions, filled.
    if profile:
        for c, colour in zip(allowed[::-1], [ALLOWED_95, ALLOWED_68]):
            patch = region_patch(c["polygons"], facecolor=colour, edgecolor="black",
                                 lw=1.2 if c["cl"] == "95%" else 0.9,
                                 ls="-" if c["cl"] == "95%" else "--", zorder=2)
            if patch:
                ax.add_patch(patch)
            handles.append(Patch(facecolor=colour, edgecolor="black",
                                 ls="-" if c["cl"] == "95%" else "--",
                                 label=f"allowed, {c['cl']} CL (Δχ² < {c['delta_chi2']:.2f})"))
    elif widest:
        patch = region_patch(widest["polygons"], facecolor=ALLOWED_95, edgecolor="black", lw=1.2,
                             zorder=2)
        if patch:
            ax.add_patch(patch)
        handles.append(Patch(facecolor=ALLOWED_95, edgecolor="black",
                             label="allowed (a point passes every cut)"))
    # Empty bins (no scan point, or only failed ones): grey, never allowed.
    empty = valid == 0
    if empty.any():
        ax.pcolormesh(xe, ye, np.ma.masked_where(~empty.T, np.ones_like(valid.T)),
                      cmap=matplotlib.colors.ListedColormap([EMPTY]), vmin=0, vmax=1,
                      shading="flat", zorder=3)
        n_empty = int(empty.sum())
        handles.append(Patch(facecolor=EMPTY, label=f"no valid scan point ({n_empty} bins)"))
    # Each constraint's own excluded region: its colour, a line and a light fill.
    shown = [x for x in d["contours"] if x["kind"] == "excluded_by" and x["polygons"]]
    for k, c in enumerate(shown):
        colour = CONSTRAINT_COLOURS[k % len(CONSTRAINT_COLOURS)]
        patch = region_patch(c["polygons"], facecolor=matplotlib.colors.to_rgba(colour, 0.10),
                             edgecolor=colour, lw=1.8, zorder=4)
        ax.add_patch(patch)
        handles.append(Patch(facecolor=matplotlib.colors.to_rgba(colour, 0.10), edgecolor=colour,
                             lw=1.8, label=f"{c['constraint']} excludes"))
    # Published limits on request.
    styles = ["-.", ":", (0, (5, 2, 1, 2)), (0, (1, 1))]
    for k, o in enumerate(d.get("overlays", [])):
        xs, ys = o["x"], o["y"]
        if o["shape"] == "region":
            xs, ys = xs + xs[:1], ys + ys[:1]
        ax.plot(xs, ys, color="black", ls=styles[k % len(styles)], lw=1.6, zorder=5)
        handles.append(Line2D([], [], color="black", ls=styles[k % len(styles)], lw=1.6,
                              label=textwrap.fill(o["label"], 40)))
    if profile and "chi2_min_at" in d:
        m = d["chi2_min_at"]
        ax.plot([m["x"]], [m["y"]], marker="*", color="black", ms=9, ls="", zorder=6)
        handles.append(Line2D([], [], marker="*", color="black", ms=9, ls="",
                              label=f"best point (χ²_min = {d['chi2_min']:.3g})"))

    ax.set_xlabel(d["x"]["label"])
    ax.set_ylabel(d["y"]["label"])
    ax.tick_params(which="both", direction="in", top=True, right=True)
    title = d["model"] + (": profile likelihood (2 dof)" if profile else ": profiled cuts")
    if d["mode"] == "slice":
        title = d["model"] + (": profile likelihood in a slice (2 dof)" if profile else ": cuts in a slice")
    fig.text(0.09, 0.955, title, fontsize=12, weight="bold", va="top")
    subtitle = d["subtitle"]
    fig.text(0.09, 0.91, "\n".join(textwrap.wrap(subtitle, 115)), fontsize=7.5, va="top",
             color="#333333")
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
              frameon=False, borderaxespad=0.0)
    fig.savefig(sys.argv[2], dpi=130)
    return 0


if __name__ == "__main__":
    sys.exit(main())
