#!/usr/bin/env python3
"""Runs a training example and checks what it must reach.

usage: check_training.py PROGRAM (--accuracy-at-least P | --test-error-below P) [--needs-data] [ARG...]

The program runs in a fresh temporary folder (its curve files land there).
With --needs-data, a missing data set skips the test (exit 77), unless
KILN_REQUIRE_DATA=1, where it fails.
"""
import os
import re
import subprocess
import sys
import tempfile

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


def main(argv):
    program, check, bound = os.path.abspath(argv[1]), argv[2], float(argv[3])
    rest = argv[4:]
    needs_data = "--needs-data" in rest
    if needs_data:
        rest.remove("--needs-data")
        if not os.path.exists(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")):
            if os.environ.get("KILN_REQUIRE_DATA") == "1":
                print(f"FAIL: {FASHION_MNIST} is missing (install dataset-fashion-mnist)")
                return 1
            print(f"SKIP: {FASHION_MNIST} is missing (install dataset-fashion-mnist)")
            return 77

    with tempfile.TemporaryDirectory() as folder:
        run = subprocess.run([program] + rest, cwd=folder, capture_output=True, text=True)
        sys.stdout.write(run.stdout[-4000:])
        sys.stderr.write(run.stderr)
        if run.returncode != 0:
            print(f"FAIL: exit status {run.returncode}")
            return 1
        if check == "--accuracy-at-least":
            found = re.search(r"^training accuracy ([0-9.]+)%", run.stdout, re.M)
            ok = found and float(found.group(1)) >= bound
            what = "training accuracy"
        elif check == "--test-error-below":
            lines = run.stdout.strip().splitlines()
            found = re.fullmatch(r"test error ([0-9.]+)%", lines[-1]) if lines else None
            ok = found and float(found.group(1)) < bound
            what = "the last line's test error"
            # The curve files: one CSV row per progress line, and a whole SVG.
            name = os.path.basename(program)
            progress = [l for l in lines if l.startswith("epoch ")]
            with open(os.path.join(folder, name + ".csv")) as csv:
                rows = csv.read().strip().splitlines()
            if len(rows) != 1 + len(progress):
                print(f"FAIL: {name}.csv has {len(rows) - 1} rows for {len(progress)} progress lines")
                return 1
            with open(os.path.join(folder, name + ".svg")) as svg:
                if not svg.read().rstrip().endswith("</svg>"):
                    print(f"FAIL: {name}.svg is not a whole SVG document")
                    return 1
        else:
            print(f"unknown check {check}")
            return 2
        if not found:
            print(f"FAIL: no {what} in the output")
            return 1
        if not ok:
            print(f"FAIL: {what} is {found.group(1)}%, the bound is {bound}%")
            return 1
        print(f"OK: {what} {found.group(1)}% (bound {bound}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
