#!/usr/bin/python3
"""portalscan against its numpy peer (tests/bench/peer/peer.py), issue 15.

  run_bench.py check [--config C] [--max-points N]
      runs both on the same config and compares, point by point: the parameters, the
      status, every constraint's pass bit, allowed, and every observable the chain tests
      (or uses as a curve's abscissa) within --rtol. Exit 1 on any disagreement.
  run_bench.py bench [--config C] [--max-points N] [--repetitions R]
      the check first, then R interleaved repetitions of (portalscan -j 1 kernel + chain,
      peer kernel + chain, portalscan -j 1 whole run keep all gzip, peer whole run keep
      all gzip); medians, spread (min..max) and the ratios, wall and CPU time.

--max-points N shrinks the config's grid (halving its largest axis until it has at most N
points; ranges unchanged), e.g. 20000 for a run of a couple of minutes. The config file is
read, never assumed: what the peer does not port it refuses.
"""
import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
PEER = os.path.join(HERE, "peer.py")
PY = "/usr/bin/python3"


def find_portalscan(given):
    if given:
        return given
    if os.environ.get("PORTALSCAN"):
        return os.environ["PORTALSCAN"]
    for preset in ("release", "ci"):
        p = os.path.join(ROOT, "build", preset, "bin", "portalscan")
        if os.access(p, os.X_OK):
            return p
    sys.exit("run_bench.py: no portalscan binary (build one, or pass --portalscan)")


def shrink(config, max_points):
    axes = [(k, v) for k, v in config["parameters"].items()
            if isinstance(v, dict) and "range" in v]
    while max_points and math.prod(v["points"] for _, v in axes) > max_points:
        k, v = max(axes, key=lambda kv: kv[1]["points"])
        if v["points"] <= 2:
            break
        v["points"] = max(2, v["points"] // 2)
    return config


def prepare(args, work):
    config = json.load(open(args.config))
    config = shrink(config, args.max_points)
    path = os.path.join(work, "scan.json")
    json.dump(config, open(path, "w"), indent=1)
    variant = json.loads(json.dumps(config))
    variant.setdefault("output", {})["keep"] = "allowed"
    kpath = os.path.join(work, "scan_kernel.json")
    json.dump(variant, open(kpath, "w"), indent=1)
    return config, path, kpath


# One core for the peer too: no BLAS or OpenMP threads behind numpy's back.
ONE_THREAD = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                  MKL_NUM_THREADS="1")


def timed(cmd):
    """Wall and CPU seconds (user + system of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=ONE_THREAD)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit("run_bench.py: %s failed (exit %d):\n%s" % (" ".join(cmd), r.returncode,
                                                               r.stderr[-2000:]))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


def portalscan_run(exe, config, out, threads=1):
    return timed([exe, "run", config, "-o", out, "--force", "-j", str(threads)])


def peer_run(config, out=None):
    cmd = [PY, PEER, config]
    cmd += ["-o", out] if out else ["--no-write"]
    return timed(cmd)


def check(args, work, exe):
    import h5py
    config, path, _ = prepare(args, work)
    cfile, pfile = os.path.join(work, "portalscan.h5"), os.path.join(work, "peer.h5")
    portalscan_run(exe, path, cfile, threads=args.threads)
    peer_run(path, pfile)
    catalogue = json.load(open(os.path.join(ROOT, "constraints", "data", "catalogue.json")))
    problems = []
    with h5py.File(cfile, "r") as c, h5py.File(pfile, "r") as p:
        order = np.argsort(c["index"][...])
        n = order.size
        if not np.array_equal(c["index"][...][order], p["index"][...]):
            problems.append("the point indices differ (%d rows here, %d in the peer)"
                            % (n, p["index"].shape[0]))
            return report(problems, n)
        col = lambda g, name: g[name][...][order] if g is c else g[name][...]
        for name in c["parameters"]:
            a, b = col(c, "parameters/" + name), p["parameters/" + name][...]
            if not np.allclose(a, b, rtol=1e-15, atol=0.0):
                problems.append("parameter %s differs (max rel %.2e): the peer's defaults or "
                                "grid do not follow the C++" % (name, rel(a, b).max()))
        new = sorted(set(c["observables"]) - set(p["observables"]))
        if new:
            # Not a disagreement by itself, but the sign of a model change the peer lacks.
            print("note: portalscan stores observables the peer does not compute: "
                  + ", ".join(new))
        cs, ps = col(c, "status"), p["status"][...]
        bad = np.nonzero(cs != ps)[0]
        if bad.size:
            pairs = {}
            for i in bad:
                pairs[(int(cs[i]), int(ps[i]))] = pairs.get((int(cs[i]), int(ps[i])), 0) + 1
            problems.append("status differs at %d points (portalscan, peer): %s; first at %s"
                            % (bad.size, pairs, point(c, order, bad[0])))
        names = list(c["constraints"])
        if sorted(names) != sorted(p["constraints"]):
            problems.append("constraint lists differ: %s vs %s" % (names, list(p["constraints"])))
        tested = set()
        for e in catalogue["constraints"]:
            if e["name"] in names:
                tested.update(u["observable"] for u in e["uses"]
                              if u["model"] == "hidden_kev_fermion")
                var = e["variants"][e["default_variant"]]
                if "x" in var:
                    tested.add(var["x"])
        for name in names:
            if name not in p["constraints"]:
                continue
            a = col(c, "constraints/%s/pass" % name)
            b = p["constraints/%s/pass" % name][...]
            bad = np.nonzero(a != b)[0]
            if bad.size:
                problems.append("%s: pass differs at %d points; first at %s"
                                % (name, bad.size, point(c, order, bad[0])))
            for what in ("statistic", "chi2"):
                x = col(c, "constraints/%s/%s" % (name, what))
                y = p["constraints/%s/%s" % (name, what)][...]
                same = (np.isnan(x) == np.isnan(y)) & ((x == y) | ~np.isinf(x))
                fin = np.isfinite(x) & np.isfinite(y)
                r = rel(x[fin], y[fin])
                if not same.all() or (r.size and r.max() > args.rtol):
                    i = np.nonzero(~same)[0]
                    j = i[0] if i.size else np.nonzero(fin)[0][np.argmax(r)]
                    problems.append("%s %s differs (max rel %.2e) at %s (%r vs %r)"
                                    % (name, what, r.max() if r.size else 0.0,
                                       point(c, order, j), x[j], y[j]))
        x, y = col(c, "chi2_total"), p["chi2_total"][...]
        fin = np.isfinite(x) & np.isfinite(y)
        if not (np.isnan(x) == np.isnan(y)).all() or (fin.any() and
                                                       rel(x[fin], y[fin]).max() > args.rtol):
            problems.append("chi2_total differs")
        a, b = col(c, "allowed"), p["allowed"][...]
        bad = np.nonzero(a != b)[0]
        if bad.size:
            problems.append("allowed differs at %d points" % bad.size)
        print("check: %d points, %d allowed (portalscan) / %d (peer), %d constraints, "
              "statuses %s" % (n, int(a.sum()), int(b.sum()), len(names),
                               dict(zip(*[x.tolist() for x in np.unique(cs, return_counts=True)]))))
        print("  %-26s %12s %12s  (relative difference |a-b|/max(|a|,|b|), finite values)"
              % ("tested observable", "max", "median"))
        for name in sorted(tested):
            if name not in c["observables"] or name not in p["observables"]:
                problems.append("observable %s missing in a file" % name)
                continue
            a, b = col(c, "observables/" + name), p["observables/" + name][...]
            same_nan = np.isnan(a) == np.isnan(b)
            same_inf = (np.isinf(a) == np.isinf(b)) & ((~np.isinf(a)) | (a == b))
            fin = np.isfinite(a) & np.isfinite(b)
            r = rel(a[fin], b[fin])
            worst = r.max() if r.size else 0.0
            print("  %-26s %12.2e %12.2e" % (name, worst, np.median(r) if r.size else 0.0))
            if not same_nan.all() or not same_inf.all():
                i = np.nonzero(~same_nan | ~same_inf)[0]
                problems.append("%s: NaN/inf pattern differs at %d points; first at %s "
                                "(%r vs %r)" % (name, i.size, point(c, order, i[0]),
                                                a[i[0]], b[i[0]]))
            if worst > args.rtol:
                i = np.nonzero(fin)[0][np.argmax(r)]
                problems.append("%s: relative difference %.2e above %.0e at %s (%r vs %r)"
                                % (name, worst, args.rtol, point(c, order, i), a[i], b[i]))
    return report(problems, n)


def rel(a, b):
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))
    return np.where(a == b, 0.0, d)


def point(f, order, row):
    return "point %d (%s)" % (int(f["index"][order[row]]), ", ".join(
        "%s=%.6g" % (k, f["parameters/" + k][order[row]]) for k in
        ("epsilon", "M_chi", "f_L", "g_s", "kappa", "m_phi")))


def report(problems, n):
    if problems:
        print("check: DISAGREEMENT on %d points:" % n)
        for p in problems:
            print("  - " + p)
        return 1
    print("check: portalscan and the peer agree on every verdict and status")
    return 0


def bench(args, work, exe):
    config, path, kpath = prepare(args, work)
    points = math.prod(v["points"] for v in config["parameters"].values()
                       if isinstance(v, dict) and "range" in v)
    runs = {k: [] for k in ("ps_kernel", "peer_kernel", "ps_whole", "peer_whole")}
    out_ps = os.path.join(work, "bench-portalscan.h5")
    out_peer = os.path.join(work, "bench-peer.h5")
    for rep in range(args.repetitions):
        load = os.getloadavg()[0]
        runs["ps_kernel"].append(portalscan_run(exe, kpath, out_ps)[:2])
        runs["peer_kernel"].append(peer_run(path)[:2])
        runs["ps_whole"].append(portalscan_run(exe, path, out_ps)[:2])
        size_ps = os.path.getsize(out_ps)
        if os.path.exists(out_peer):
            os.remove(out_peer)
        wall, cpu, text = peer_run(path, out_peer)
        runs["peer_whole"].append((wall, cpu))
        breakdown = text.strip()
        size_peer = os.path.getsize(out_peer)
        print("  repetition %d (load %.1f): %s" % (rep + 1, load, "  ".join(
            "%s %.2f s" % (k, v[-1][0]) for k, v in runs.items())), flush=True)
    print("\n%d points, %d repetitions interleaved, portalscan %s -j 1; load average now "
          "%.2f %.2f %.2f" % (points, args.repetitions, exe, *os.getloadavg()))
    print("files: portalscan %.1f MB, peer %.1f MB (keep all, gzip 1 + shuffle)"
          % (size_ps / 1e6, size_peer / 1e6))
    print("%-34s %10s %16s %10s %16s" % ("", "wall med", "wall min..max", "CPU med",
                                         "CPU min..max"))
    label = {"ps_kernel": "portalscan kernel + chain (1)", "peer_kernel": "peer kernel + chain",
             "ps_whole": "portalscan whole run, gzip", "peer_whole": "peer whole run, gzip"}
    med = {}
    for k, v in runs.items():
        w = [x[0] for x in v]
        c = [x[1] for x in v]
        med[k] = (statistics.median(w), statistics.median(c))
        print("%-34s %9.2fs %7.2f..%-7.2f %9.2fs %7.2f..%-7.2f"
              % (label[k], med[k][0], min(w), max(w), med[k][1], min(c), max(c)))
    for what, a, b in (("kernel + chain", "peer_kernel", "ps_kernel"),
                       ("whole run", "peer_whole", "ps_whole")):
        print("ratio peer/portalscan, %-15s wall %.2fx  CPU %.2fx  (portalscan %.0f points/s "
              "per core, peer %.0f)" % (what, med[a][0] / med[b][0], med[a][1] / med[b][1],
                                        points / med[b][1], points / med[a][1]))
    print("(1) keep allowed: only the allowed rows are written")
    print("the peer's own account of its last whole run: " + breakdown)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["check", "bench"])
    ap.add_argument("--config", default=os.path.join(ROOT, "scans", "quickstart.json"))
    ap.add_argument("--max-points", type=int, default=0)
    ap.add_argument("--repetitions", type=int, default=5)
    # The largest difference on the quick start is 3.4e-9 (dm_decay_rate and the X-ray mixing of
    # chi_light through its |U|^2; m_ee, m_beta, sum_m_nu 9.0e-10): LAPACK's eigh against the
    # C++'s Jacobi, on mixings and active masses far below the matrix norm.
    ap.add_argument("--rtol", type=float, default=1e-8,
                    help="relative tolerance on the tested observables (default 1e-8)")
    ap.add_argument("--threads", type=int, default=2, help="portalscan threads for the check")
    ap.add_argument("--portalscan")
    ap.add_argument("--keep", help="keep the work directory here")
    args = ap.parse_args()
    exe = find_portalscan(args.portalscan)
    work = args.keep or tempfile.mkdtemp(prefix="portalscan-peer-")
    os.makedirs(work, exist_ok=True)
    try:
        rc = check(args, work, exe)
        if args.mode == "bench" and rc == 0:
            rc = bench(args, work, exe)
        elif args.mode == "bench":
            print("bench: not timed, the two disagree")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
