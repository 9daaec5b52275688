"""The storage chunks the worker threads compress (scanner/src/store/Hdf5.cpp, encodeChunk),
read with stock h5py and Python's own zlib (ctest: python_storage). PORTALSCAN names the
binary."""

import json
import os
import subprocess
import tempfile
import unittest
import zlib

import h5py
import numpy as np

BINARY = os.environ.get("PORTALSCAN", "build/ci/bin/portalscan")

# 40 x 40 x 3 = 4 800 points in chunks of 2 048: two whole chunks and a short last one, each
# filtered by the thread that computed it (keep: all); every observable, so that there are
# doubles varying at full precision (planes the encoder stores) and constant ones.
CONFIG = {
    "model": "hidden_kev_fermion",
    "parameters": {
        "M_N": 1e10, "y_e": 1e-2,
        "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 40},
        "f_L": {"range": [1e-3, 1.0], "scale": "log", "points": 40},
        "f_R": {"equal_to": "f_L"},
        "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 3},
    },
    "output": {"chunk_points": 2048, "commit_seconds": 0, "keep": "all", "observables": "all"},
}


def columns(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("chunks/"):
                out[name] = obj[()]
        f.visititems(visit)
    return out


class StorageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.files = {}
        for name, compression, threads in (("gz1", 1, "2"), ("gz1_j1", 1, "1"), ("raw", 0, "2")):
            config = json.loads(json.dumps(CONFIG))
            config["output"]["compression"] = compression
            cfg = os.path.join(cls.tmp.name, name + ".json")
            with open(cfg, "w") as f:
                json.dump(config, f)
            out = os.path.join(cls.tmp.name, name + ".h5")
            subprocess.run([BINARY, "run", cfg, "-o", out, "-j", threads, "--force"],
                           check=True, capture_output=True)
            cls.files[name] = out

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_h5py_reads_the_compressed_file_as_the_uncompressed_one(self):
        packed, plain = columns(self.files["gz1"]), columns(self.files["raw"])
        self.assertEqual(sorted(packed), sorted(plain))
        self.assertGreater(len(packed), 100)
        for name in packed:
            self.assertEqual(packed[name].dtype, plain[name].dtype, name)
            np.testing.assert_array_equal(packed[name], plain[name], err_msg=name)
        with h5py.File(self.files["gz1"], "r") as f:
            d = f["observables/tau_chi_light"]
            self.assertEqual((d.compression, d.compression_opts, d.shuffle), ("gzip", 1, True))
            self.assertEqual(d.chunks, (2048,))

    def test_each_chunk_is_a_zlib_stream_of_the_shuffled_rows(self):
        # Python's zlib (not portalscan's code) inflates every stored chunk, checking its
        # Adler-32, and numpy undoes the shuffle: the rows h5py reads, zero past the last row.
        stored_planes = 0
        with h5py.File(self.files["gz1"], "r") as f:
            for name in ("parameters/M_chi", "observables/tau_chi_light",
                         "observables/dm_decay_rate", "chi2_total", "status", "index"):
                d = f[name]
                values = d[()]
                size = values.dtype.itemsize
                for row in range(0, d.shape[0], 2048):
                    mask, data = d.id.read_direct_chunk((row,))
                    self.assertEqual(mask, 0, (name, row))
                    shuffled = np.frombuffer(zlib.decompress(data), dtype=np.uint8)
                    self.assertEqual(shuffled.size, 2048 * size, (name, row))
                    rows = shuffled.reshape(size, 2048).T.copy().view(values.dtype).ravel()
                    n = min(2048, d.shape[0] - row)
                    np.testing.assert_array_equal(rows[:n], values[row:row + n], err_msg=name)
                    self.assertFalse(rows.view(np.uint8)[n * size:].any(), (name, row))
                    # A plane left uncompressed stands verbatim in the stream.
                    planes = shuffled.reshape(size, 2048)
                    stored_planes += sum(1 for k in range(size) if size > 1 and
                                         planes[k].tobytes() in data)
        self.assertGreater(stored_planes, 0)

    def test_the_file_is_the_same_for_one_and_two_threads(self):
        with h5py.File(self.files["gz1"], "r") as a, h5py.File(self.files["gz1_j1"], "r") as b:
            for name in ("parameters/M_chi", "observables/tau_chi_light", "allowed", "index"):
                for row in range(0, a[name].shape[0], 2048):
                    self.assertEqual(a[name].id.read_direct_chunk((row,)),
                                     b[name].id.read_direct_chunk((row,)), (name, row))


if __name__ == "__main__":
    unittest.main()
