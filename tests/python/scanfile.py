"""Synthetic scan files for the tests: the layout of docs/hdf5-format.md written with h5py,
with columns whose exclusion boundary is known exactly."""

import json

import h5py
import numpy as np


def write_scan(path, parameters, constraints=None, chi2_total=True, keep="all", model="synthetic",
               grid=None, format_version=2, observables=None, units=None, scales=None):
    """parameters: name -> array; constraints: name -> (pass array, chi2 array or None)."""
    constraints = constraints or {}
    observables = observables or {}
    units = units or {}
    scales = scales or {}
    n = len(next(iter(parameters.values())))
    chi2 = np.zeros(n)
    for _, (_, c2) in constraints.items():
        if c2 is not None:
            chi2 = chi2 + c2
    allowed = np.ones(n, dtype=np.uint8)
    for _, (p, _) in constraints.items():
        allowed &= p.astype(np.uint8)
    config = {
        "model": model,
        "options": {},
        "parameters": {},
        "sampler": {"kind": "grid" if grid else "random", "points": n, "seed": 1},
        "constraints": [{"name": k} for k in constraints],
        "output": {"keep": keep},
    }
    with h5py.File(path, "w") as f:
        f.attrs["format_version"] = format_version
        f.attrs["model"] = model
        f.attrs["options"] = "{}"
        f.attrs["config_hash"] = "0123456789abcdef"
        f.attrs["keep"] = keep
        f.attrs["complete"] = 1
        f.attrs["open_for_writing"] = 0
        f.attrs["points_total"] = n
        f.attrs["created"] = "2026-01-01T00:00:00Z"
        f.attrs["portalscan_version"] = "test"
        for name, values in parameters.items():
            d = f.create_dataset(f"parameters/{name}", data=np.asarray(values, dtype=float))
            d.attrs["unit"] = units.get(name, "1")
            d.attrs["description"] = name
            scale = scales.get(name, "lin")
            d.attrs["scale"] = scale
            if scale in ("lin", "log"):
                d.attrs["range"] = [float(np.min(values)), float(np.max(values))]
                spec = {"range": [float(np.min(values)), float(np.max(values))], "scale": scale}
                if grid and name in grid:
                    spec["points"] = grid[name]
                config["parameters"][name] = spec
            else:
                config["parameters"][name] = float(values[0])
        for name, values in observables.items():
            d = f.create_dataset(f"observables/{name}", data=np.asarray(values, dtype=float))
            d.attrs["unit"] = units.get(name, "1")
        for name, (p, c2) in constraints.items():
            g = f.create_group(f"constraints/{name}")
            g.attrs["kind"] = "upper"
            g.create_dataset("pass", data=p.astype(np.uint8))
            g.create_dataset("statistic", data=np.zeros(n))
            if format_version >= 2:
                g.create_dataset("chi2", data=c2 if c2 is not None else np.zeros(n))
        f.create_dataset("allowed", data=allowed)
        if chi2_total and format_version >= 2:
            f.create_dataset("chi2_total", data=chi2)
        f.create_dataset("status", data=np.zeros(n, dtype=np.int8))
        f.create_dataset("index", data=np.arange(n, dtype=np.uint64))
        f.create_dataset("chunks/range", data=np.array([[0, n]], dtype=np.uint64))
        f.create_dataset("chunks/rows", data=np.array([n], dtype=np.uint64))
        f.create_dataset("chunks/allowed", data=np.array([allowed.sum()], dtype=np.uint64))
        f.create_dataset("chunks/status", data=np.zeros((1, 7), dtype=np.uint64))
        f.create_dataset("chunks/excluded", data=np.zeros((1, max(1, len(constraints))), dtype=np.uint64))
        f.create_dataset("chunks/checksum", data=np.zeros(1, dtype=np.uint64))
        f.attrs["config"] = json.dumps(config)
