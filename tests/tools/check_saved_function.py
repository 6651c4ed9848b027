#!/usr/bin/env python3
"""Saved functions across processes: kiln-dump compile --save writes one
file; kiln-dump eval of that file in a new process links the saved kernels
instead of compiling them, and prints what compiling the graph prints.

usage: check_saved_function.py KILN_DUMP
"""
import os
import pathlib
import subprocess
import sys
import tempfile

KILN_DUMP = sys.argv[1]
# A shared variable with its value and an update: the file keeps both.
GRAPH = """kiln-graph 1
input x: float64[:]
shared w: float64[:] = (3,) [0.5, -1, 2.25]
%0: float64[:] = Elemwise{mul}(x, w)
%1: float64[:] = Elemwise{tanh}(%0)
%2: float64[:] = Elemwise{exp}(x)
out: float64[:] = Elemwise{add}(%1, %2)
%4: float64[:] = Elemwise{add}(w, x)
output out
update w = %4
"""
VALUES = "x=[0.5, -1.25, 3.0]"
failures = []


def run(*arguments, expect=0):
    env = dict(os.environ, KILN_CACHE="off", KILN_LOG="jit=debug")
    done = subprocess.run([KILN_DUMP, *arguments], env=env, capture_output=True, text=True)
    if done.returncode != expect:
        failures.append(f"kiln-dump {' '.join(arguments)} exited {done.returncode}, not {expect}: {done.stderr}")
    return done.stdout, done.stderr


def check(condition, what, log=""):
    if not condition:
        failures.append(what + ("\n" + log if log else ""))


with tempfile.TemporaryDirectory() as temporary:
    graph = pathlib.Path(temporary) / "graph.kiln"
    graph.write_text(GRAPH)
    saved = pathlib.Path(temporary) / "f.kfn"
    summary, log = run("compile", str(graph), "--save", str(saved))
    check(f"saved the function to {saved}" in summary and saved.is_file(), "compile --save writes the file", summary)

    compiled, _ = run("eval", str(graph), "--set", VALUES)
    loaded, log = run("eval", str(saved), "--set", VALUES)
    check(loaded == compiled and loaded.strip() != "", f"the saved function computes the same: {loaded!r} vs {compiled!r}")
    check("linked given object code of kiln_loop_" in log and "compiled kiln_loop_" not in log,
          "a new process links the saved kernels and compiles none", log)

    # Damage is named, never run.
    data = saved.read_bytes()
    broken = pathlib.Path(temporary) / "broken.kfn"
    broken.write_bytes(data[: len(data) - 40])
    _, log = run("eval", str(broken), "--set", VALUES, expect=1)
    check("is damaged" in log or "truncated" in log, "a truncated file is refused", log)
    middle = len(data) // 2
    broken.write_bytes(data[:middle] + bytes([data[middle] ^ 0x20]) + data[middle + 1:])
    _, log = run("eval", str(broken), "--set", VALUES, expect=1)
    check("its checksum does not match" in log, "a flipped byte is refused", log)
    _, log = run("eval", str(saved), "--set", VALUES, "--allow-input-downcast", expect=2)
    check("keeps its own setting" in log, "a saved function keeps its input conversions", log)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("saved functions load across processes without compiling")
