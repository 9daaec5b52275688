"""Read portalscan scan files (HDF5) into pandas, also while a scan is still writing them.

    import sys; sys.path.insert(0, "python")      # or PYTHONPATH=python
    import portalscan
    df = portalscan.read("quickstart.h5")          # one row per stored point
    df.attrs["units"]["M_chi"]                     # 'GeV'
    portalscan.config("quickstart.h5")["sampler"]  # the validated scan configuration
    portalscan.constraints("quickstart.h5")        # the chain: kind, limit, CL, source, ...

Columns of read(): every parameter (fixed ones too), every stored observable, per
constraint `pass_NAME` (bool), `statistic_NAME` and `chi2_NAME`, then `allowed` (bool),
`chi2_total` and `status` (int8; `df.attrs["status_codes"]` names the codes); a `refine`
scan's file adds `round` (uint8: the refinement round that placed the point, 0 the base
design; docs/config.md, "refine"). The index is
the global point index (`/index`). A name that is both a parameter and an observable keeps
the parameter's value; the observable's column is then `NAME_observable`.
`df.attrs` holds `units` (column -> native unit: GeV, s, 1, ...), `model`, `options`,
`config_hash`, `keep`, `complete`, `open_for_writing`, `chunks`, `points_evaluated`,
`points_total`, `status_codes` and `path`.

A running scan: files are opened with HDF5's file locking off (h5py's `locking=False`), so
reading never blocks the writer and the writer never blocks the reader. Only the rows of
committed chunks are read (the `/chunks` records, written after their rows), the view is
checked against those records (each chunk's `/index` inside its range), and when the
writer's flush got in the way (a writer holds the file: its HDF5 flock, seen in
/proc/locks) the file is opened again and read anew, for up to `timeout` seconds. The same rules as `portalscan info` and `portalscan export` (docs/hdf5-format.md).

Needs Debian's python3-h5py, python3-numpy and python3-pandas (/usr/bin/python3).
"""

import json
import os
import time

import h5py
import numpy as np
import pandas as pd

__all__ = ["read", "config", "constraints", "ScanFileError"]


class ScanFileError(Exception):
    """The file is not a portalscan scan file, or could not be read consistently."""


class _Torn(Exception):
    """The view of a file being written did not hold together: read it again."""


def _open(path):
    try:
        return h5py.File(path, "r", locking=False)
    except TypeError:  # an h5py without the locking argument
        os.environ["HDF5_USE_FILE_LOCKING"] = "FALSE"
        return h5py.File(path, "r")


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def _attr(obj, name, default=None):
    return _text(obj.attrs[name]) if name in obj.attrs else default


def _writer_holds(path):
    """Whether a writer holds the file now: HDF5's writers take an exclusive flock, which
    Linux lists in /proc/locks (read without locking anything). None where it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    try:
        with open("/proc/locks") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in lines:
        w = line.split()
        if "->" in w:  # a blocked request
            w = w[:1] + w[w.index("->") + 1:]
        if len(w) >= 6 and w[1] == "FLOCK" and w[3] == "WRITE" and w[5] == device:
            return True
    return False


def _retrying(path, body, timeout):
    """Runs body(file) on a fresh view until it holds together (a writer may be flushing)."""
    deadline = time.monotonic() + timeout
    attempt = 0
    closed_retry = False  # one more view after the writer let go mid-read
    while True:
        flag = None
        try:
            with _open(path) as f:
                flag = int(f.attrs.get("open_for_writing", 0)) != 0
                if "format_version" not in f.attrs or "config" not in f.attrs or "chunks" not in f:
                    raise ScanFileError(f"'{path}' is not a portalscan scan file")
                return body(f)
        except ScanFileError:
            raise
        except FileNotFoundError:
            raise
        except (_Torn, OSError, KeyError, ValueError) as e:
            held = _writer_holds(path)
            writing = held if held is not None else bool(flag)
            if not writing and flag and not closed_retry:
                # The view said a writer had the file open and it has let go since (the scan
                # ended while this view was read): a fresh view sees the closed file whole.
                closed_retry = True
            elif not writing or time.monotonic() >= deadline:
                raise ScanFileError(f"cannot read '{path}': {e}") from e
        attempt += 1
        time.sleep(min(0.01 * attempt, 0.2))


def _committed(f):
    """(chunk ranges [C, 2], rows per chunk [C], committed rows R), checked."""
    chunks = f["chunks"]
    ranges = chunks["range"]
    c = ranges.shape[0]
    for name in ("rows", "allowed", "status", "excluded", "checksum"):
        if name in chunks and chunks[name].shape[0] < c:
            raise _Torn(f"/chunks/{name} is shorter than /chunks/range")
    r = ranges[:c].astype(np.uint64)
    rows = chunks["rows"][:c].astype(np.uint64)
    return r, rows, int(rows.sum())


def _check_index(index, ranges, rows, keep_all):
    if keep_all and np.any(rows != ranges[:, 1] - ranges[:, 0]):
        raise _Torn("a chunk of a keep-all scan lacks rows")
    begin = np.repeat(ranges[:, 0], rows.astype(np.int64))
    end = np.repeat(ranges[:, 1], rows.astype(np.int64))
    if np.any(index < begin) or np.any(index >= end):
        raise _Torn("a committed row's index lies outside its chunk")
    first = np.zeros(len(index), dtype=bool)
    starts = np.concatenate([[0], np.cumsum(rows.astype(np.int64))[:-1]]) if len(rows) else []
    first[np.asarray(starts, dtype=np.int64)[rows.astype(np.int64) > 0]] = True
    if len(index) > 1 and np.any((np.diff(index.astype(np.int64)) <= 0) & ~first[1:]):
        raise _Torn("a chunk's rows are not in index order")


def _constraint_order(f):
    stored = list(f["constraints"]) if "constraints" in f else []
    try:
        listed = [c["name"] for c in json.loads(_text(f.attrs["config"]))["constraints"]]
    except (KeyError, TypeError, ValueError):
        listed = []
    return [n for n in listed if n in stored] + [n for n in stored if n not in listed]


def _parameter_order(f):
    stored = list(f["parameters"])
    try:
        listed = list(json.loads(_text(f.attrs["config"]))["parameters"])
    except (KeyError, TypeError, ValueError):
        listed = []
    return [n for n in listed if n in stored] + [n for n in stored if n not in listed]


def read(path, timeout=5.0):
    """The committed rows of a scan file as a pandas.DataFrame (see the module's text)."""

    def body(f):
        ranges, rows, n = _committed(f)
        keep = _attr(f, "keep", "all")
        for group in ("parameters", "observables"):
            for name in f.get(group, {}):
                if f[group][name].shape[0] < n:
                    raise _Torn(f"/{group}/{name} is shorter than its commits")
        index = f["index"][:n].astype(np.uint64)
        _check_index(index, ranges, rows, keep == "all")
        columns, units = {}, {}
        for name in _parameter_order(f):
            d = f["parameters"][name]
            columns[name] = d[:n]
            units[name] = _attr(d, "unit", "")
        for name in f.get("observables", {}):
            d = f["observables"][name]
            column = name if name not in columns else f"{name}_observable"
            columns[column] = d[:n]
            units[column] = _attr(d, "unit", "")
        for name in _constraint_order(f):
            g = f["constraints"][name]
            columns[f"pass_{name}"] = g["pass"][:n].astype(bool)
            columns[f"statistic_{name}"] = g["statistic"][:n]
            units[f"statistic_{name}"] = "1"
            if "chi2" in g:
                columns[f"chi2_{name}"] = g["chi2"][:n]
                units[f"chi2_{name}"] = "1"
        columns["allowed"] = f["allowed"][:n].astype(bool)
        if "chi2_total" in f:
            columns["chi2_total"] = f["chi2_total"][:n]
            units["chi2_total"] = "1"
        columns["status"] = f["status"][:n]
        if "round" in f:  # a refine scan: the round that placed each point (0: the base design)
            columns["round"] = f["round"][:n]
        for name, values in columns.items():
            if len(values) != n:
                raise _Torn(f"'{name}' changed while it was read")
        df = pd.DataFrame(columns, index=pd.Index(index, name="index"))
        df.attrs.update(
            path=str(path),
            units=units,
            model=_attr(f, "model"),
            options=json.loads(_attr(f, "options", "{}")),
            config_hash=_attr(f, "config_hash"),
            keep=keep,
            complete=bool(int(f.attrs.get("complete", 0))),
            open_for_writing=bool(int(f.attrs.get("open_for_writing", 0))),
            chunks=int(len(ranges)),
            points_evaluated=int((ranges[:, 1] - ranges[:, 0]).sum()) if len(ranges) else 0,
            points_total=int(f.attrs.get("points_total", 0)),
            status_codes={int(k): v for k, v in json.loads(_attr(f, "status_codes", "{}")).items()},
        )
        return df

    return _retrying(path, body, timeout)


def config(path, timeout=5.0):
    """The validated configuration the scan ran with (a dict, every default filled in)."""
    return _retrying(path, lambda f: json.loads(_text(f.attrs["config"])), timeout)


def constraints(path, timeout=5.0):
    """The scan's constraints, one row per constraint in chain order: the attributes of
    /constraints/NAME (observable, kind, limit, cl, cut_cl, variant, experiment, arxiv,
    reference, ...) and the chi2 convention."""

    def body(f):
        records = []
        for name in _constraint_order(f):
            g = f["constraints"][name]
            r = {"name": name}
            for key, value in g.attrs.items():
                value = _text(value)
                if isinstance(value, np.ndarray):
                    value = value.tolist()
                elif isinstance(value, np.generic):
                    value = value.item()
                r[key] = value
            if "chi2" in g and "convention" in g["chi2"].attrs:
                r["convention"] = _text(g["chi2"].attrs["convention"])
            records.append(r)
        return pd.DataFrame.from_records(records, index="name") if records else pd.DataFrame()

    return _retrying(path, body, timeout)
