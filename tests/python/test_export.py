"""`portalscan export` on files whose boundaries are known exactly (ctest: python_export).

Run as ctest does: PORTALSCAN=build/ci/bin/portalscan /usr/bin/python3 -m unittest
tests/python/test_export.py (from the source root, with tests/python on sys.path)."""

import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from scanfile import write_scan  # noqa: E402

BINARY = os.environ.get("PORTALSCAN", "build/ci/bin/portalscan")
CHI2_95 = -2 * math.log(0.05)  # Wilks, 2 dof: the chi2(2) CDF is 1 - exp(-x/2)
CHI2_68 = -2 * math.log(1 - 0.6827)


def run(*args):
    r = subprocess.run([BINARY, "export", *args], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


class ExportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name
        rng = np.random.default_rng(7)
        # A circle: chi2_total = (x^2 + y^2)/s^2 + z^2, profiled over z (whose grid holds 0),
        # so the 95% contour is the circle r = s sqrt(5.99) = 0.6.
        n = 120000
        x = rng.uniform(-1, 1, n)
        y = rng.uniform(-1, 1, n)
        z = rng.choice([-0.5, 0.0, 0.5], n)
        cls.s = 0.6 / math.sqrt(CHI2_95)
        c2 = (x**2 + y**2) / cls.s**2
        cls.circle = os.path.join(cls.dir, "circle.h5")
        write_scan(cls.circle, {"x": x, "y": y, "z": z},
                   {"disc": (c2 < CHI2_95, c2), "zterm": (np.ones(n, bool), z**2)})
        # A straight line in log-log: allowed below y = 0.1 x^2.
        n = 60000
        lx = 10 ** rng.uniform(-3, 1, n)
        ly = 10 ** rng.uniform(-6, 2, n)
        cls.line = os.path.join(cls.dir, "line.h5")
        below = ly < 0.1 * lx**2
        write_scan(cls.line, {"m": lx, "g": ly},
                   {"power_law": (below, np.where(below, 0.0, np.inf))},
                   units={"m": "GeV"}, scales={"m": "log", "g": "log"})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def export_json(self, *args):
        out = os.path.join(self.dir, "out.json")
        code, stdout, stderr = run(*args, "--format", "json", "-o", out)
        self.assertEqual(code, 0, stderr)
        with open(out) as f:
            return json.load(f), stdout

    def test_circle_contours_within_one_bin(self):
        d, stdout = self.export_json(self.circle, "--x", "x", "--y", "y", "--bins", "50,50")
        self.assertEqual(d["mode"], "profile")
        self.assertIn("5.99", stdout)  # the levels are stated
        levels = {c["cl"]: c for c in d["contours"] if c["kind"] == "allowed"}
        bin_width = 2.0 / 50
        for cl, chi2 in (("95%", CHI2_95), ("68.3%", CHI2_68)):
            c = levels[cl]
            self.assertAlmostEqual(c["delta_chi2"], chi2, places=6)
            self.assertEqual(len(c["polygons"]), 1)
            r_true = self.s * math.sqrt(chi2)
            p = c["polygons"][0]
            r = np.hypot(p["x"], p["y"])
            self.assertLess(np.max(np.abs(r - r_true)), bin_width, cl)
            # Counter-clockwise around the allowed disc: positive shoelace area near pi r^2.
            xs, ys = np.array(p["x"]), np.array(p["y"])
            area = 0.5 * np.sum(xs * np.roll(ys, -1) - np.roll(xs, -1) * ys)
            self.assertAlmostEqual(area / (math.pi * r_true**2), 1.0, delta=0.1)

    def test_line_in_log_log_within_one_bin(self):
        d, _ = self.export_json(self.line, "--x", "m", "--y", "g", "--bins", "40,40", "--mode", "cuts")
        self.assertTrue(d["x"]["log"] and d["y"]["log"])
        xe = np.log10(d["x"]["edges"])
        ye = np.log10(d["y"]["edges"])
        dx = xe[1] - xe[0]
        dy = ye[1] - ye[0]
        allowed = [c for c in d["contours"] if c["kind"] == "allowed"][0]
        excluded = [c for c in d["contours"] if c["constraint"] == "power_law"][0]
        for c in (allowed, excluded):
            self.assertEqual(len(c["polygons"]), 1)
            lx = np.log10(c["polygons"][0]["x"])
            ly = np.log10(c["polygons"][0]["y"])
            # Vertices off the plot's edges lie on log g = 2 log m - 1, within one bin's diagonal.
            eps = 1e-9
            inner = (lx > xe[0] + eps) & (lx < xe[-1] - eps) & (ly > ye[0] + eps) & (ly < ye[-1] - eps)
            self.assertGreater(inner.sum(), 20)
            distance = np.abs(ly[inner] - 2 * lx[inner] + 1) / math.sqrt(5)
            self.assertLess(distance.max(), math.hypot(dx, dy))

    def test_profile_minimum_per_bin_against_numpy(self):
        out = os.path.join(self.dir, "profile.csv")
        code, _, err = run(self.circle, "--x", "x", "--y", "z", "--bins", "13,7", "--format", "csv", "-o", out)
        self.assertEqual(code, 0, err)
        import h5py

        with h5py.File(self.circle, "r") as f:
            x = f["parameters/x"][:]
            z = f["parameters/z"][:]
            chi2 = f["chi2_total"][:]
        xe = np.linspace(x.min(), x.max(), 14)
        ze = np.linspace(z.min(), z.max(), 8)
        ix = np.clip(np.searchsorted(xe, x, side="right") - 1, 0, 12)
        iz = np.clip(np.searchsorted(ze, z, side="right") - 1, 0, 6)
        expect = np.full((13, 7), np.nan)
        counts = np.zeros((13, 7), int)
        for i, j, c in zip(ix, iz, chi2):
            counts[i, j] += 1
            expect[i, j] = c if np.isnan(expect[i, j]) else min(expect[i, j], c)
        expect -= chi2.min()
        with open(out) as f:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
        self.assertEqual(len(rows), 13 * 7)
        seen = 0
        for row in rows:
            i = int(np.argmin(np.abs(xe[:-1] - float(row["x_low"]))))
            j = int(np.argmin(np.abs(ze[:-1] - float(row["y_low"]))))
            self.assertEqual(int(row["points"]), counts[i, j])
            if counts[i, j] == 0:
                self.assertEqual(row["delta_chi2"], "")
                continue
            seen += 1
            self.assertAlmostEqual(float(row["delta_chi2"]), expect[i, j], places=7)
        self.assertGreater(seen, 20)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "profile.contours.csv")))

    def test_hepdata_parsed_back(self):
        out = os.path.join(self.dir, "hepdata")
        code, _, err = run(self.circle, "--x", "x", "--y", "y", "--bins", "30,30", "--format", "hepdata", "-o", out)
        self.assertEqual(code, 0, err)
        with open(os.path.join(out, "submission.yaml")) as f:
            docs = [doc for doc in yaml.safe_load_all(f) if doc is not None]
        self.assertIn("comment", docs[0])
        tables = docs[1:]
        self.assertGreaterEqual(len(tables), 2)
        cls = set()
        for t in tables:
            for key in ("name", "description", "keywords", "data_file"):
                self.assertIn(key, t)
            self.assertLessEqual(len(t["name"]), 64)
            with open(os.path.join(out, t["data_file"])) as f:
                data = yaml.safe_load(f)
            (xv,) = data["independent_variables"]
            (yv,) = data["dependent_variables"]
            self.assertEqual(xv["header"]["name"], "x")
            self.assertEqual(yv["header"]["name"], "y")
            self.assertEqual(len(xv["values"]), len(yv["values"]))
            self.assertGreater(len(xv["values"]), 3)
            self.assertTrue(all(isinstance(v["value"], float) for v in xv["values"] + yv["values"]))
            q = {q["name"]: q["value"] for q in yv["qualifiers"]}
            self.assertIn("CL", q)
            self.assertIn("constraint", q)
            cls.add(q["CL"])
        self.assertTrue({"95%", "68.3%"} <= cls)

    def test_png_is_written(self):
        out = os.path.join(self.dir, "circle.png")
        code, _, err = run(self.line, "--x", "m", "--y", "g", "--units", "x=MeV", "--format", "png", "-o", out)
        self.assertEqual(code, 0, err)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_png_after_cmake_install(self):
        # The plotting script is found beside an installed binary (PREFIX/share/portalscan/).
        build = os.environ.get("PORTALSCAN_BUILD_DIR")
        self.assertTrue(build, "PORTALSCAN_BUILD_DIR names the build tree (ctest sets it)")
        prefix = os.path.join(self.dir, "prefix")
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = os.path.join(self.dir, "installed.png")
        env = {k: v for k, v in os.environ.items() if k != "PORTALSCAN_PLOT_SCRIPT"}
        r = subprocess.run([os.path.join(prefix, "bin", "portalscan"), "export", self.line, "--x", "m",
                            "--y", "g", "-o", out], capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_scans_plot_py_is_export_png(self):
        # scans/plot.py forwards its arguments to `export --format png`: the same arguments give
        # the same picture, byte for byte; without -o it writes exclusion.png where it runs.
        script = os.path.join(os.path.dirname(__file__), "..", "..", "scans", "plot.py")
        direct = os.path.join(self.dir, "direct.png")
        code, _, err = run(self.line, "--x", "m", "--y", "g", "--format", "png", "-o", direct)
        self.assertEqual(code, 0, err)
        work = os.path.join(self.dir, "plotpy")
        os.makedirs(work, exist_ok=True)
        env = dict(os.environ, PORTALSCAN=os.path.abspath(BINARY))
        r = subprocess.run(["/usr/bin/python3", os.path.abspath(script), self.line, "--x", "m", "--y", "g"],
                           capture_output=True, text=True, env=env, cwd=work)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(direct, "rb") as a, open(os.path.join(work, "exclusion.png"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        # A bad axis is export's error: one line, exit 2, no picture.
        os.remove(os.path.join(work, "exclusion.png"))
        r = subprocess.run(["/usr/bin/python3", os.path.abspath(script), self.line, "--x", "nope", "--y", "g"],
                           capture_output=True, text=True, env=env, cwd=work)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(work, "exclusion.png")))

    def test_units_convert_the_axis(self):
        d, _ = self.export_json(self.line, "--x", "m", "--y", "g", "--units", "x=keV", "--mode", "cuts")
        self.assertEqual(d["x"]["unit"], "keV")
        self.assertAlmostEqual(d["x"]["edges"][0] / 1e6, 10 ** -3, delta=1e-4)

    def test_bad_input_one_line_exit_2_nothing_written(self):
        nochi2 = os.path.join(self.dir, "nochi2.h5")
        write_scan(nochi2, {"x": np.linspace(0, 1, 50), "y": np.linspace(1, 2, 50)}, format_version=1)
        other = os.path.join(self.dir, "other.h5")
        write_scan(other, {"x": np.linspace(0, 1, 50), "y": np.linspace(1, 2, 50)}, model="another")
        fixed = os.path.join(self.dir, "fixed.h5")
        write_scan(fixed, {"x": np.linspace(0, 1, 50), "y": np.full(50, 3.0)}, scales={"y": "fixed"})
        neg = os.path.join(self.dir, "neg.h5")
        write_scan(neg, {"x": np.linspace(-1, 1, 50), "y": np.linspace(1, 2, 50)})
        cases = {
            "did you mean 'x'": [self.circle, "--x", "xx", "--y", "y"],
            "parameter or stored observable": [self.circle, "--x", "tau_phi", "--y", "y"],
            "one value": [fixed, "--x", "x", "--y", "y"],
            "log axis over non-positive": [neg, "--x", "x", "--y", "y", "--log-x"],
            "one model": [self.circle, other, "--x", "x", "--y", "y"],
            "no chi2": [nochi2, "--x", "x", "--y", "y", "--mode", "profile"],
            "unknown format": [self.circle, "--x", "x", "--y", "y", "--format", "pdf"],
            "--mode slice needs": [self.circle, "--x", "x", "--y", "y", "--mode", "slice"],
            "unknown constraint": [self.circle, "--x", "x", "--y", "y", "--constraints", "dsic"],
            "limit curve": [self.circle, "--x", "x", "--y", "y", "--overlay", "nosuch"],
            "x=kg": [self.line, "--x", "m", "--y", "g", "--units", "x=kg"],
        }
        for expect, args in cases.items():
            out = os.path.join(self.dir, "bad.json")
            fmt = [] if "--format" in args else ["--format", "json"]
            code, stdout, err = run(*args, *fmt, "-o", out)
            self.assertEqual(code, 2, (expect, err))
            self.assertEqual(err.count("\n"), 1, (expect, err))
            self.assertIn(expect, err)
            self.assertFalse(os.path.exists(out), expect)

    def test_files_of_one_model_combine_with_provenance(self):
        import h5py

        with h5py.File(self.circle, "r") as f:
            x, y, z = (f[f"parameters/{n}"][:] for n in "xyz")
            disc = f["constraints/disc/chi2"][:]
        halves = []
        for k, part in enumerate((x < 0, x >= 0)):
            path = os.path.join(self.dir, f"half{k}.h5")
            write_scan(path, {"x": x[part], "y": y[part], "z": z[part]},
                       {"disc": (disc[part] < CHI2_95, disc[part]), "zterm": (np.ones(part.sum(), bool), z[part] ** 2)})
            halves.append(path)
        whole, _ = self.export_json(self.circle, "--x", "x", "--y", "y", "--bins", "25,25")
        both, _ = self.export_json(*halves, "--x", "x", "--y", "y", "--bins", "25,25")
        self.assertEqual([i["path"] for i in both["inputs"]], halves)
        self.assertEqual(both["x"]["edges"], whole["x"]["edges"])
        self.assertEqual(both["bins"]["points"], whole["bins"]["points"])
        self.assertEqual(both["bins"]["delta_chi2"], whole["bins"]["delta_chi2"])

    def test_slice_holds_the_nearest_value(self):
        d, stdout = self.export_json(self.circle, "--x", "x", "--y", "y", "--bins", "20,20",
                                     "--mode", "slice", "--at", "z=0.4")
        self.assertIn("z = 0.5", stdout)
        self.assertIn("nearest 0.4", stdout)
        # At z = 0.5 every chi2 is 0.25 above the profile's: the minimum in the slice is 0.25,
        # stated in the JSON, and the contours are those of (x^2 + y^2)/s^2 again.
        self.assertAlmostEqual(d["chi2_min"], 0.25, delta=0.01)


if __name__ == "__main__":
    unittest.main()
