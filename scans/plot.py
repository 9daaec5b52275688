#!/usr/bin/python3
"""Exclusion plot of a portalscan scan file: a thin call of `portalscan export --format png`.

    /usr/bin/python3 scans/plot.py quickstart.h5 --x M_chi --y f_L -o exclusion.png [EXPORT OPTIONS]

Every option after the file goes to `portalscan export` as it is (--bins, --units, --mode,
--constraints, --at, --overlay, ...; docs/plotting.md). The binary is the first of
$PORTALSCAN, `portalscan` on PATH, build/release/bin/portalscan, build/ci/bin/portalscan.
The binning, the statistics and the contours are export's: this script only finds it.
"""

import os
import shutil
import sys


def binary():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [os.environ.get("PORTALSCAN"), shutil.which("portalscan"),
                  os.path.join(root, "build", "release", "bin", "portalscan"),
                  os.path.join(root, "build", "ci", "bin", "portalscan")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    print("plot.py: error: portalscan not found (build it, or set PORTALSCAN)", file=sys.stderr)
    sys.exit(2)


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if "--format" not in args:
        args += ["--format", "png"]
    if "-o" not in args and "--output" not in args:
        args += ["-o", "exclusion.png"]
    exe = binary()
    os.execv(exe, [exe, "export", *args])


if __name__ == "__main__":
    sys.exit(main())
