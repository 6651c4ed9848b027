#!/usr/bin/env python3
"""The on-disk kernel cache across processes: kiln-dump eval run again
loads its kernel instead of compiling it, damaged entries are replaced,
unsafe folders and KILN_CACHE=off leave kiln working from memory.

usage: check_disk_cache.py KILN_DUMP
"""
import os
import pathlib
import resource
import signal
import subprocess
import sys
import tempfile

KILN_DUMP = sys.argv[1]
GRAPH = "x: f64[:]; out = log1p(exp(x) * 2.5) - x"
VALUES = "x=[0.5, -1.25, 3.0, 7.5]"
failures = []


def run(cache_dir, cache="on", command=("eval", "--set", VALUES)):
    env = dict(os.environ, KILN_CACHE=cache, KILN_CACHE_DIR=str(cache_dir), KILN_LOG="jit=debug")
    arguments = [KILN_DUMP, command[0], "-e", GRAPH, *command[1:]]
    done = subprocess.run(arguments, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        failures.append(f"kiln-dump failed ({done.returncode}): {done.stderr}")
    return done.stdout, done.stderr


def check(condition, what, log=""):
    if not condition:
        failures.append(what + ("\n" + log if log else ""))


def entries(folder, kind="*"):
    """The cache's entries: kernels' object code and functions' graphs."""
    kernels = pathlib.Path(folder) / "kernels"
    return sorted(kernels.glob("*.kernel") if kind == "kernel" else
                  kernels.glob("*.function") if kind == "function" else
                  [*kernels.glob("*.kernel"), *kernels.glob("*.function")]) if kernels.is_dir() else []


with tempfile.TemporaryDirectory() as temporary:
    cache = pathlib.Path(temporary) / "cache"
    first, log = run(cache)
    check("compiled kiln_loop_" in log and "loaded from the disk cache" not in log, "a first run compiles", log)
    check(len(entries(cache, "kernel")) == 1 and len(entries(cache, "function")) == 1,
          "a first run stores its kernel and its function", str(entries(cache)))
    check(oct(cache.stat().st_mode & 0o777) == "0o700", "the cache folder is private")

    again, log = run(cache)
    check(again == first, f"a second run prints the same: {again!r} vs {first!r}")
    check("loaded from the disk cache" in log and "compiled kiln_loop_" not in log, "a second run loads", log)
    summary, _ = run(cache, command=("compile",))
    check("kernels: 1 (0 compiled by LLVM, 1 from the kernel cache, 1 of them from disk)" in summary,
          "the compile report counts the kernel loaded from disk", summary)
    check("graph: read from the disk cache" in summary and "rewriting:" not in summary,
          "a second run reads the optimized graph instead of rewriting", summary)
    # The drawing of a function read from disk shows its fused loop, as the first process's does.
    drawings = [run(cache, command=("graph", "--format", "dot"))[0] for _ in range(2)]
    check(all(d.count("subgraph cluster_") == 1 for d in drawings) and drawings[0] == drawings[1],
          "a graph read from the disk cache is drawn with its fused-loop cluster", "\n".join(drawings))

    # A function whose kernel is gone: its graph is read, its kernel compiled again.
    for entry in entries(cache, "kernel"):
        entry.unlink()
    summary, _ = run(cache, command=("compile",))
    check("graph: read from the disk cache" in summary and "(1 compiled by LLVM, 0 from the kernel cache)" in summary,
          "a function entry without its kernel compiles the kernel", summary)

    # Every entry cut short: detected, removed, compiled again and stored whole.
    for entry in entries(cache):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    damaged, log = run(cache)
    check(damaged == first, "a run over damaged entries prints the same")
    check("removing kernel cache entry" in log and "compiled kiln_loop_" in log, "damage is found and repaired", log)
    repaired, log = run(cache)
    check(repaired == first and "loaded from the disk cache" in log, "repaired entries load", log)

    # kiln-dump cache lists, shows, verifies and clears the entries.
    def dump_cache(*arguments):
        done = subprocess.run([KILN_DUMP, "cache", *arguments, "--dir", str(cache)], capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr

    code, listing = dump_cache("list")
    listed = {line.split()[0]: line.split()[1] for line in listing.splitlines()[1:]}
    check(code == 0 and sorted(listed) == sorted(e.stem for e in entries(cache)) and "kiln 0.1" in listing and
          listing.startswith("2 entries (1 kernels, 1 functions)"), "cache list names every entry", listing)
    for name, kind in listed.items():
        code, shown = dump_cache("show", name[:8])
        expected = ["kernel IR:", "LLVM IR:"] if kind == "kernel" else ["kernels:", "kiln-compiled-graph 1", "output out"]
        check(code == 0 and all(text in shown for text in expected), f"cache show prints a {kind}'s manifest", shown)
    code, verified = dump_cache("verify")
    check(code == 0 and "every entry is whole" in verified, "cache verify passes whole entries", verified)
    damaged_entry = entries(cache)[0]
    damaged_entry.write_bytes(damaged_entry.read_bytes()[:-3])
    code, verified = dump_cache("verify")
    check(code == 1 and damaged_entry.stem in verified and "truncated" in verified, "cache verify names damage", verified)
    run(cache)  # repairs it

    # Off: nothing read, nothing written.
    before = [(e, e.stat().st_mtime_ns) for e in entries(cache)]
    off, log = run(cache, cache="off")
    check(off == first and "disk cache" not in log and "kernel cache" not in log, "KILN_CACHE=off uses no disk", log)
    check([(e, e.stat().st_mtime_ns) for e in entries(cache)] == before, "KILN_CACHE=off writes nothing")

    code, cleared = dump_cache("clear")
    check(code == 0 and not entries(cache), "cache clear removes every entry", cleared)

    # A folder others can write to is refused, with a warning; kiln still runs.
    open_folder = pathlib.Path(temporary) / "open"
    open_folder.mkdir(mode=0o777)
    open_folder.chmod(0o777)
    refused, log = run(open_folder)
    check(refused == first, "a refused folder still computes")
    check("refused (others can write to it)" in log, "a refused folder is named with the reason", log)
    check(not (open_folder / "kernels").exists(), "nothing is written into a refused folder")

    # Processes started together on an empty cache: all compute the same,
    # leave whole entries and no temporary files.
    racing = pathlib.Path(temporary) / "racing"
    env = dict(os.environ, KILN_CACHE="on", KILN_CACHE_DIR=str(racing))
    children = [subprocess.Popen([KILN_DUMP, "eval", "-e", GRAPH, "--set", VALUES], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outputs = [child.communicate()[0] for child in children]
    check(all(child.returncode == 0 for child in children) and outputs == [first] * len(children),
          f"processes racing on an empty cache all compute the same: {outputs!r}")
    check(len(entries(racing, "kernel")) == 1 and len(entries(racing, "function")) == 1,
          "racing processes leave one entry of each kind", str(entries(racing)))
    check(not list((racing / "kernels").glob(".tmp-*")), "racing processes leave no temporary files")
    code, verified = subprocess.run([KILN_DUMP, "cache", "verify", "--dir", str(racing)], capture_output=True,
                                    text=True).returncode, ""
    check(code == 0, "entries written by racing processes verify")

    # A full disk: every write fails part-way (a file size limit stands in
    # for ENOSPC). One warning; the results are right; nothing half-written stays.
    full = pathlib.Path(temporary) / "full"

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    env = dict(os.environ, KILN_CACHE="on", KILN_CACHE_DIR=str(full), KILN_LOG="warn")
    done = subprocess.run([KILN_DUMP, "eval", "-e", GRAPH, "--set", VALUES], env=env, capture_output=True, text=True,
                          preexec_fn=small_files)
    check(done.returncode == 0 and done.stdout == first, "a full disk still computes", done.stderr)
    check(done.stderr.count("cannot write to the kernel cache") == 1, "a full disk warns once", done.stderr)
    check(not entries(full) and not list((full / "kernels").glob(".tmp-*")), "a full disk leaves no partial file",
          str(list((full / "kernels").iterdir())))

    # A folder this user cannot write to (root writes anywhere: then an
    # immutable folder, where the filesystem allows one).
    locked = pathlib.Path(temporary) / "locked"
    (locked / "kernels").mkdir(parents=True, mode=0o700)
    if os.geteuid() != 0:
        (locked / "kernels").chmod(0o500)
        can_lock = True
    else:
        can_lock = subprocess.run(["chattr", "+i", str(locked / "kernels")], capture_output=True).returncode == 0
    if can_lock:
        done = subprocess.run([KILN_DUMP, "eval", "-e", GRAPH, "--set", VALUES], env=dict(env, KILN_CACHE_DIR=str(locked)),
                              capture_output=True, text=True)
        check(done.returncode == 0 and done.stdout == first, "a read-only cache still computes", done.stderr)
        check(done.stderr.count("cannot write to the kernel cache") == 1, "a read-only cache warns once", done.stderr)
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(locked / "kernels")])
        else:
            (locked / "kernels").chmod(0o700)
    else:
        print("read-only folder: not checked (root, and this filesystem has no immutable folders)")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("disk cache across processes: ok")
