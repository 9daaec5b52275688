"""The Python reader (python/portalscan) and reading a scan while it is written
(ctest: python_reader). PORTALSCAN names the binary, PYTHONPATH holds python/."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import h5py
import numpy as np

import portalscan

BINARY = os.environ.get("PORTALSCAN", "build/ci/bin/portalscan")


def grid_config(kappa_points, chunk_points=512, keep="all"):
    return json.dumps({
        "model": "hidden_kev_fermion",
        "parameters": {
            "M_N": 1e10, "y_e": 1e-2,
            "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 40},
            "f_L": {"range": [1e-3, 1.0], "scale": "log", "points": 40},
            "f_R": {"equal_to": "f_L"},
            "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": kappa_points},
        },
        "output": {"chunk_points": chunk_points, "commit_seconds": 0, "keep": keep,
                   "observables": ["tau_phi", "m_chi_light", "BR_phi_chichi"]},
    })


def datasets(path):
    out = {}
    with h5py.File(path, "r", locking=False) as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


class ReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def scan(self, config_text, name, threads="2"):
        cfg = os.path.join(self.dir, name + ".json")
        with open(cfg, "w") as f:
            f.write(config_text)
        out = os.path.join(self.dir, name + ".h5")
        return cfg, out, [BINARY, "run", cfg, "-o", out, "-j", threads, "--force"]

    def test_dataframe_equals_the_raw_datasets(self):
        _, out, cmd = self.scan(grid_config(3, keep="allowed"), "small")
        subprocess.run(cmd, check=True, capture_output=True)
        df = portalscan.read(out)
        raw = datasets(out)
        self.assertEqual(len(df), len(raw["index"]))
        self.assertTrue(np.array_equal(df.index.to_numpy(), raw["index"]))
        for name in ("M_chi", "f_L", "f_R", "kappa", "M_N", "m_phi"):
            self.assertTrue(np.array_equal(df[name].to_numpy(), raw[f"parameters/{name}"], equal_nan=True), name)
        for name in ("tau_phi", "m_chi_light", "BR_phi_chichi"):
            self.assertTrue(np.array_equal(df[name].to_numpy(), raw[f"observables/{name}"], equal_nan=True), name)
        cons = portalscan.constraints(out)
        self.assertIn("bbn_reheating", cons.index)
        self.assertEqual(cons.loc["bbn_reheating", "observable"], "tau_phi")
        for c in cons.index:
            self.assertTrue(np.array_equal(df[f"pass_{c}"].to_numpy(), raw[f"constraints/{c}/pass"].astype(bool)))
            self.assertTrue(np.array_equal(df[f"chi2_{c}"].to_numpy(), raw[f"constraints/{c}/chi2"], equal_nan=True))
            self.assertTrue(np.array_equal(df[f"statistic_{c}"].to_numpy(), raw[f"constraints/{c}/statistic"], equal_nan=True))
        self.assertTrue(np.array_equal(df["allowed"].to_numpy(), raw["allowed"].astype(bool)))
        self.assertTrue(df["allowed"].all())  # keep: allowed
        self.assertTrue(np.array_equal(df["chi2_total"].to_numpy(), raw["chi2_total"], equal_nan=True))
        self.assertTrue(np.array_equal(df["status"].to_numpy(), raw["status"]))
        with h5py.File(out, "r") as f:
            self.assertEqual(df.attrs["units"]["tau_phi"], f["observables/tau_phi"].attrs["unit"])
            self.assertEqual(df.attrs["units"]["M_chi"], "GeV")
        self.assertEqual(df.attrs["model"], "hidden_kev_fermion")
        self.assertEqual(portalscan.config(out)["sampler"]["kind"], "grid")
        self.assertEqual(df.attrs["status_codes"][0], "ok")

    def test_a_refine_scan_has_its_round_column(self):
        # The lfv_nsi plane of tests/integration/RefineTest.cpp: a 9 x 9 base grid, depth 3. Round 0
        # is that grid (81 points on its nodes); every later point lies off it, on a lattice 2^k
        # times finer in round k; the rounds ascend with the global index.
        config = json.dumps({
            "model": "lfv_nsi",
            "parameters": {
                "sin_alpha_mix": 0.1, "sin_beta_mix": 0.1,
                "m_Zprime": {"range": [0.001, 2.0], "scale": "log", "points": 9},
                "g_psi": {"range": [1e-4, 3.0], "scale": "log", "points": 9},
            },
            "sampler": {"kind": "refine", "depth": 3},
            "constraints": ["bbn_zprime_mass", "meson_decays_g_nu"],
            "output": {"chunk_points": 16, "commit_seconds": 0},
        })
        _, out, cmd = self.scan(config, "refine")
        subprocess.run(cmd, check=True, capture_output=True)
        df = portalscan.read(out)
        self.assertIn("round", df.columns)
        self.assertEqual(df["round"].dtype, np.uint8)
        self.assertTrue((np.diff(df["round"].to_numpy().astype(int)) >= 0).all())
        self.assertEqual(df["round"].max(), 3)
        # The node of each point on the finest lattice (8 * 2^3 = 64 cells per axis).
        q = np.rint(np.log(df["m_Zprime"] / 1e-3) / np.log(2.0 / 1e-3) * 64).astype(int)
        r = np.rint(np.log(df["g_psi"] / 1e-4) / np.log(3.0 / 1e-4) * 64).astype(int)
        base = df["round"] == 0
        self.assertEqual(int(base.sum()), 81)
        self.assertTrue((q[base] % 8 == 0).all() and (r[base] % 8 == 0).all())
        for k in (1, 2, 3):
            step = 8 >> k  # round k places nodes on the lattice of step 8 / 2^k, not coarser
            mine = (df["round"] == k).to_numpy()
            self.assertTrue(mine.any())
            self.assertTrue((q[mine] % step == 0).all() and (r[mine] % step == 0).all())
            self.assertTrue(((q[mine] % (2 * step) != 0) | (r[mine] % (2 * step) != 0)).all())
        # A grid scan's file has no round column.
        _, grid, cmd = self.scan(grid_config(3), "grid-no-round")
        subprocess.run(cmd, check=True, capture_output=True)
        self.assertNotIn("round", portalscan.read(grid).columns)

    def test_name_clash_between_parameter_and_observable(self):
        sys.path.insert(0, os.path.dirname(__file__))
        from scanfile import write_scan

        path = os.path.join(self.dir, "clash.h5")
        write_scan(path, {"m": np.arange(5.0), "g": np.arange(5.0) + 1},
                   observables={"m": np.arange(5.0) * 10})
        df = portalscan.read(path)
        self.assertTrue(np.array_equal(df["m"].to_numpy(), np.arange(5.0)))
        self.assertTrue(np.array_equal(df["m_observable"].to_numpy(), np.arange(5.0) * 10))

    def test_a_view_torn_as_the_writer_lets_go_is_read_again(self):
        # A view opened while the writer held the file (open_for_writing set), whose data
        # read failed, and by then no writer holds it: the scan ended while it was read, so
        # one fresh view is tried (it failed with "addr overflow" before); a file that fails
        # again is an error.
        sys.path.insert(0, os.path.dirname(__file__))
        from scanfile import write_scan

        path = os.path.join(self.dir, "letgo.h5")
        write_scan(path, {"m": np.arange(5.0)})
        with h5py.File(path, "a") as f:
            f.attrs["open_for_writing"] = 1
        calls = []

        def torn_once(f):
            calls.append(1)
            if len(calls) == 1:
                raise OSError("Can't read data (addr overflow)")
            return "whole"

        self.assertEqual(portalscan._retrying(path, torn_once, 5.0), "whole")
        self.assertEqual(len(calls), 2)

        def always_torn(f):
            calls.append(1)
            raise OSError("Can't read data (addr overflow)")

        calls.clear()
        with self.assertRaises(portalscan.ScanFileError):
            portalscan._retrying(path, always_torn, 5.0)
        self.assertEqual(len(calls), 2)

    def test_reading_while_a_scan_writes(self):
        # 40 x 40 x 40 = 64 000 points in chunks of 512, each committed at once.
        text = grid_config(40)
        _, out, cmd = self.scan(text, "running")
        _, quiet, quiet_cmd = self.scan(text, "quiet")
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        frames, infos, failures = [], 0, []
        try:
            while proc.poll() is None:
                if not os.path.exists(out):
                    time.sleep(0.01)
                    continue
                try:
                    df = portalscan.read(out)
                    frames.append(df)
                except portalscan.ScanFileError as e:
                    if "not a portalscan scan file" not in str(e):  # the layout not yet written
                        failures.append(str(e))
                r = subprocess.run([BINARY, "info", out, "--json"], capture_output=True, text=True)
                if proc.poll() is None and r.returncode != 0 and "not a portalscan" not in r.stderr:
                    failures.append(r.stderr)
                elif r.returncode == 0:
                    infos += 1
                    summary = json.loads(r.stdout)
                    self.assertEqual(summary["rows"], summary["points_evaluated"])
        finally:
            code = proc.wait()
        self.assertEqual(code, 0)
        self.assertEqual(failures, [])
        running = [f for f in frames if f.attrs["open_for_writing"]]
        self.assertGreater(len(running), 2, "the scan ended before it could be read while running")
        self.assertGreater(infos, 2)
        final = portalscan.read(out)
        self.assertEqual(len(final), 64000)
        for f in running:
            # Only committed rows, all of them whole: the first len(f) points, equal to the end's.
            n = len(f)
            self.assertEqual(n, f.attrs["points_evaluated"])
            self.assertTrue(np.array_equal(f.index.to_numpy(), np.arange(n)))
            for column in ("kappa", "tau_phi", "chi2_total", "allowed"):
                self.assertTrue(np.array_equal(f[column].to_numpy(), final[column].to_numpy()[:n], equal_nan=True))
        # The scan's file is that of a run nobody read.
        subprocess.run(quiet_cmd, check=True, capture_output=True)
        a, b = datasets(out), datasets(quiet)
        self.assertEqual(sorted(a), sorted(b))
        for name in a:
            self.assertTrue(np.array_equal(a[name], b[name], equal_nan=a[name].dtype.kind == "f"), name)


if __name__ == "__main__":
    unittest.main()
