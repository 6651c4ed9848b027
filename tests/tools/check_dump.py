#!/usr/bin/env python3
"""kiln-dump's subcommands on the tutorial's graphs.

Values are checked against Python's own arithmetic (math), text against
NumPy's print form written out by hand, DOT against Graphviz when it is
installed, and every refusal against its exit code and message.
Usage: check_dump.py KILN_DUMP
"""
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

DUMP = sys.argv[1]
failures = []


def run(*args, stdin=None):
    result = subprocess.run([DUMP, *args], input=stdin, capture_output=True, text=True, timeout=120)
    return result.returncode, result.stdout, result.stderr


def check(condition, what, detail=""):
    if not condition:
        failures.append(f"{what}\n{detail}")


def close(a, b, tolerance=1e-12):
    return abs(a - b) <= tolerance * max(1.0, abs(b))


def flatten(values):
    if isinstance(values, list):
        return [v for item in values for v in flatten(item)]
    return [values]


# --- eval: the tutorial's first graphs, printed as NumPy prints them ---
code, out, err = run("eval", "-e", "x: f64[]; y: f64[]; z = x + y", "--set", "x=2", "--set", "y=3")
check(code == 0 and out == "5.0\n", "adding two scalars", out + err)

code, out, err = run("eval", "-e", "x: f64[:,:]; y: f64[:,:]; z = x + y",
                     "--set", "x=[[1, 2], [3, 4]]", "--set", "y=[[10, 20], [30, 40]]")
check(code == 0 and out == "[[11. 22.]\n [33. 44.]]\n", "adding two matrices", out + err)

# The logistic function, against math.exp.
points = [[0.0, 1.0], [-1.0, -2.0]]
code, out, err = run("eval", "--json", "-e", "x: f64[:,:]; s = 1 / (1 + exp(-x))", "--set", f"x={points}")
check(code == 0, "logistic function runs", err)
if code == 0:
    result = json.loads(out)
    check(result["name"] == "s" and result["dtype"] == "float64" and result["shape"] == [2, 2],
          "logistic JSON header", out)
    expected = [1 / (1 + math.exp(-v)) for v in flatten(points)]
    check(all(close(a, b) for a, b in zip(flatten(result["values"]), expected)), "logistic values", out)

# Several outputs are labelled; a tuple assignment names them.
code, out, err = run("eval", "-e", "a: f64[]; b: f64[]; diff = a - b; s, d = a + b, abs(diff)",
                     "--set", "a=1", "--set", "b=4")
check(code == 0 and out == "s = 5.0\nd = 3.0\n", "several outputs", out + err)

# grad from the command line: d/dx (x**2) at 4 is 8; the tutorial's logistic derivative s(1 - s).
code, out, err = run("eval", "-e", "x: f64[]; y = x ** 2; g = grad(y, x)", "--set", "x=4")
check(code == 0 and out == "8.0\n", "grad of x**2", out + err)
code, out, err = run("eval", "--json", "-e", "x: f64[:]; s = sum(1 / (1 + exp(-x))); gs = grad(s, x)",
                     "--set", "x=[0, 1.5]")
if code == 0:
    values = json.loads(out)["values"]
    expected = [(1 / (1 + math.exp(-v))) * (1 - 1 / (1 + math.exp(-v))) for v in (0.0, 1.5)]
    check(all(close(a, b) for a, b in zip(values, expected)), "logistic gradient", out)
else:
    check(False, "logistic gradient runs", err)

# Softmax, argmax and integer indexing (the tutorial's classifier pieces).
rows = [[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]]
code, out, err = run("eval", "--json", "-e",
                     "x: f64[:,:]; y: i64[:]; p = softmax(x); nll = -mean(log(p)[arange(y.shape[0]), y]); "
                     "p, argmax(p, axis=1), nll", "--set", f"x={rows}", "--set", "y=[2, 0]")
check(code == 0, "softmax, argmax, nll run", err)
if code == 0:
    p, arg, nll = [json.loads(line) for line in out.splitlines()]
    expected_p = [[math.exp(v) / sum(math.exp(u) for u in row) for v in row] for row in rows]
    check(all(close(a, b) for a, b in zip(flatten(p["values"]), flatten(expected_p))), "softmax values", out)
    check(arg["dtype"] == "int64" and arg["values"] == [2, 0], "argmax", out)
    expected_nll = -(math.log(expected_p[0][2]) + math.log(expected_p[1][0])) / 2
    check(close(nll["values"], expected_nll), "nll", out)

# Shared variables: --set replaces a stored value for the run, --show-updates prints the new values.
accumulator = ("kiln-graph 1\ninput inc: float64[]\nshared state: float64[] = 5\n"
               "next: float64[] = Elemwise{add}(state, inc)\noutput state\nupdate state = next\n")
code, out, err = run("eval", "-", "--set", "inc=2", "--show-updates", stdin=accumulator)
check(code == 0 and out == "5.0\nstate' = 7.0\n", "eval --show-updates prints the updated value", out + err)
code, out, err = run("eval", "-", "--set", "inc=2", "--set", "state=10", "--show-updates", "--json", stdin=accumulator)
lines = [json.loads(line) for line in out.splitlines()] if code == 0 else []
check([(o["name"], o["values"]) for o in lines] == [("state", 10.0), ("state'", 12.0)],
      "--set overrides a shared variable's stored value", out + err)
code, out, err = run("eval", "-", "--set", "inc=2", "--set", "stat=1", stdin=accumulator)
check(code == 2 and "no input or shared variable 'stat' (it has: inc, state (shared))" in err,
      "--set of an unknown name lists inputs and shared variables", err)
code, out, err = run("eval", "-", "--set", "inc=2", "--set", "state=[1, 2]", stdin=accumulator)
check(code == 1 and "--set state: " in err and "Wrong number of dimensions" in err,
      "--set of a shared variable is checked like set_value", err)

# Each subcommand's --help shows what applies to it: the graph syntax only where a graph is read,
# exit code 3 only where something may be missing.
helps = {name: run(name, "--help") for name in ("compile", "eval", "graph", "show", "explain", "cache", "functions")}
for name, (code, text, err) in helps.items():
    reads_graph, may_lack = name in ("compile", "eval", "graph"), name in ("compile", "graph")
    check(code == 0 and text.startswith("usage: kiln-dump " + name) and
          ("kiln's expression syntax" in text) == reads_graph and ("\n  3  " in text) == may_lack,
          f"{name} --help shows only what applies to it", text + err)

# A bad KILN_FLAGS item is a warning that names the known options, never the end of the program.
flagged = subprocess.run([DUMP, "eval", "-e", "x: f64[:]; x * 2", "--set", "x=[1.5]"], capture_output=True, text=True,
                         env=dict(os.environ, KILN_FLAGS="floatx=float32,linker=cvm,nan_guard=nan"), timeout=120)
check(flagged.returncode == 0 and flagged.stdout == "[3.]\n", "a program runs past bad KILN_FLAGS items",
      flagged.stdout + flagged.stderr)
check("KILN_FLAGS: 'floatx=float32' ignored" in flagged.stderr and "did you mean 'floatX'?" in flagged.stderr
      and "known options: floatX" in flagged.stderr and "'linker' cannot be 'cvm'" in flagged.stderr
      and flagged.stderr.count(" ignored: ") == 2, "each bad KILN_FLAGS item is named, the good one applied",
      flagged.stderr)

# A refused downcast names this tool's flag, not the C++ option.
code, out, err = run("eval", "-e", "x: f32[:]; x * 2", "--set", "x=[0.1, 2]")
check(code == 1 and "pass --allow-input-downcast to round them" in err and "CompileOptions" not in err
      and "Array::astype" not in err, "a refused downcast gives kiln-dump's advice", err)

# float32 outputs print their shortest float32 form; NaN and inf as strings.
code, out, err = run("eval", "--json", "--allow-input-downcast", "-e", "x: f32[:]; x / 3, log(x - 1)",
                     "--set", "x=[0.1, 1, 2.5]")
lines = out.splitlines()
check(code == 0 and len(lines) == 2, "float32 JSON runs", out + err)
if code == 0:
    thirds = json.loads(lines[0])["values"]
    expected = [struct.unpack("f", struct.pack("f", struct.unpack("f", struct.pack("f", v))[0] / 3))[0]
                for v in (0.1, 1.0, 2.5)]
    check(all(struct.pack("f", a) == struct.pack("f", b) for a, b in zip(thirds, expected)),
          "float32 values read back exactly", lines[0])
    check(json.loads(lines[1])["values"][:2] == ["nan", "-inf"], "nan and -inf", lines[1])

# A .npy file as a value (written here byte by byte: format 1.0, little-endian int32, C order).
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "m.npy")
    header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<6i", 1, 2, 3, 4, 5, 6))
    code, out, err = run("eval", "-e", "m: i32[:,:]; t = m.T * 2", "--set", f"m=@{path}")
    check(code == 0 and out == "[[ 2  8]\n [ 4 10]\n [ 6 12]]\n", "eval with a .npy value", out + err)
    code, out, err = run("eval", "-e", "m: i32[:,:]; t = m", "--set", f"m=@{folder}/missing.npy")
    check(code == 1 and "--set m:" in err and "missing.npy" in err, "a missing .npy file", err)

# The expression may come from a file or standard input.
with tempfile.NamedTemporaryFile("w", suffix=".kiln", delete=False) as f:
    f.write("# the tutorial's logistic function\nx: f64[]\ns = 1 / (1 + exp(-x))\n")
    graph_file = f.name
code, out, err = run("eval", graph_file, "--set", "x=0")
check(code == 0 and out == "0.5\n", "a graph file", out + err)
code, out, err = run("eval", "-", "--set", "x=0", stdin="x: f64[]\nout = x + 1\n")
check(code == 0 and out == "1.0\n", "a graph on standard input", out + err)

# --- refusals: exit codes and messages ---
code, out, err = run("eval", "-e", "x: f64[:]; out = sum(x, axis=1)", "--set", "x=[1]")
check(code == 1 and "ValueError: sum(): axis 1 is out of bounds" in err and "(line 1, column 18)" in err,
      "an API error keeps its text", err)
code, out, err = run("eval", "-e", "x: i32[:]; out = x", "--set", "x=[1.5]")
check(code == 1 and "TypeError" in err and "'x'" in err, "a value the input cannot hold", err)
code, out, err = run("eval", "-e", "x: f64[]; out = x +", "--set", "x=1")
check(code == 1 and "SyntaxError: line 1, column 20" in err and "^" in err, "a syntax error", err)
code, out, err = run("eval", "-e", "x: f64[]; out = x")
check(code == 2 and "input 'x' has no value" in err, "a missing value", err)
code, out, err = run("eval", "-e", "x: f64[]; out = x", "--set", "x=1", "--set", "z=2")
check(code == 2 and "no input or shared variable 'z'" in err, "an unknown input", err)
code, out, err = run("eval", "-e", "x: f64[]; out = x", "--set", "x=[1, [2]]")
check(code == 1 and "--set x:" in err and "rectangular" in err, "a ragged literal", err)
code, out, err = run("eval", "-e", "x: f64[]; x", graph_file)
check(code == 2 and "not both" in err, "FILE and -e together", err)
code, out, err = run("eval", "--bogus", "-e", "x: f64[]; x")
check(code == 2 and "unknown option --bogus" in err, "an unknown option", err)
code, out, err = run("frobnicate")
check(code == 2 and "unknown command 'frobnicate'" in err, "an unknown command", err)
code, out, err = run("compile", "-e", "x: f64[]; x + 1", "--stage", "bitcode")
check(code == 2 and "unknown stage 'bitcode'" in err, "an unknown stage", err)
code, out, err = run("compile", "-e", "x: f64[]; x + 1", "--target", "cuda", "--arch", "sm_80")
check(code == 3 and "no CUDA backend" in err, "--target cuda before a CUDA backend exists", err)

# --- compile: the stages ---
w1 = "a: f64[:]; b: f64[:]; c: f64[:]; out = 1 / (1 + exp(-(a * b + c)))"
code, out, err = run("compile", "-e", w1, "--stage", "schedule")
check(code == 0 and out.count("loop [") == 1, "the W1 chain is one fused loop", out + err)
code, out, err = run("compile", "-e", w1, "--stage", "llvm-opt")
check(code == 0 and out.count("; loop #") == 2 and out.count("define void @kiln_loop_") == 2
      and "; loop #0, its streaming-stores variant" in out and out.count("!nontemporal") >= 1,
      "one kernel in the LLVM IR, then its streaming-stores variant", out + err)
check("<8 x double> @_ZGVeN8v_exp" in out or "<4 x double> @_ZGVdN4v_exp" in out or "<2 x double> @_ZGVbN2v_exp" in out,
      "the fused W1 loop calls a vector exp", out)
code, out, err = run("compile", "-e", w1, "--stage", "asm")
check(code == 0 and "kiln_loop_" in out and ("%zmm" in out or "%ymm" in out or "%xmm" in out),
      "assembly uses vector registers", out[:2000])
code, out, err = run("compile", "-e", "x: f64[]; y = x ** 2; grad(y, x)", "--stage", "optimized")
check(code == 0 and "mul" in out and "pow" not in out, "grad(x**2) optimizes to a product", out + err)
code, out, err = run("compile", "-e", "x: f64[]; y = x ** 2; grad(y, x)", "--stage", "rewrites")
check(code == 0 and len(out.splitlines()) >= 1 and "(no rewrite fired)" not in out, "rewrites are listed", out + err)
code, out, err = run("compile", "-e", w1)
for header in ("== graph ==", "== optimized ==", "== rewrites ==", "== schedule ==", "== kernel ==", "== machine code =="):
    check(header in out, "the summary has " + header, out)
check("\x1b" not in out + err, "no colour codes in piped output", out)

# --- graph: text, DOT with fused loops as clusters, SVG through Graphviz ---
softmax_graph = "x: f64[:,:]; y: f64[:]; out = sum(exp(x) * y, axis=1) + x.mean()"
code, out, err = run("graph", "-e", softmax_graph, "--format", "dot")
check(code == 0 and out.startswith("digraph kiln {"), "DOT output", out + err)
_, schedule, _ = run("compile", "-e", softmax_graph, "--stage", "schedule")
check(out.count("subgraph cluster_") == schedule.count(" loop ["), "one cluster per fused loop", out + schedule)
code, user, err = run("graph", "-e", softmax_graph, "--format", "dot", "--stage", "graph")
check(code == 0 and "subgraph" not in user, "the user graph has no clusters", user + err)
code, text, err = run("graph", "-e", "x: f64[]; y: f64[]; z = x + y", "--stage", "graph")
check(code == 0 and text == "kiln-graph 1\ninput x: float64[]\ninput y: float64[]\nz: float64[] = Elemwise{add}(x, y)\n"
      "output z\n", "graph as text", text + err)
# The text form reads back: graph of a graph file is the same text, and eval
# of it gives what eval of the expression gives.
nll = "x: f64[:,:]; y: i64[:]; out = -log_softmax(x)[arange(y.shape[0]), y].mean()"
code, text, err = run("graph", "-e", nll, "--stage", "graph")
check(code == 0 and text.startswith("kiln-graph 1\n"), "graph text of the NLL", text + err)
code, again, err = run("graph", "-", "--stage", "graph", stdin=text)
check(code == 0 and again == text, "graph text read back from standard input prints the same", again + err)
settings = ["--set", "x=[[1, 2, 3], [0.5, -1, 2]]", "--set", "y=[2, 0]"]
_, from_expression, _ = run("eval", "-e", nll, "--json", *settings)
code, from_text, err = run("eval", "-", "--json", *settings, stdin=text)
check(code == 0 and from_text == from_expression, "eval of the graph text matches eval of the expression",
      from_text + err + from_expression)
code, _, err = run("eval", "-", "--set", "x=1", stdin="kiln-graph 1\ninput x: float64[]\n%1: float32[] = Elemwise{exp}(x)\n")
check(code == 1 and "SyntaxError" in err and "line 3, column 1: output 0 of Elemwise{exp} is float64[], not float32[]" in err,
      "a graph text error names the line and column", err)
if shutil.which("dot"):
    parsed = subprocess.run(["dot", "-Tcanon"], input=out, capture_output=True, text=True)
    check(parsed.returncode == 0 and parsed.stdout.count("subgraph cluster_") == out.count("subgraph cluster_"),
          "Graphviz reads the DOT back with its clusters", parsed.stderr)
    code, svg, err = run("graph", "-e", softmax_graph, "--format", "svg")
    check(code == 0 and "<svg" in svg and svg.count('class="cluster"') == out.count("subgraph cluster_"),
          "SVG rendered by Graphviz", err)
else:
    print("Graphviz's dot is not installed: DOT read-back and SVG not checked")

# --- show: the dump folders a running program writes ---
with tempfile.TemporaryDirectory() as folder:
    chain = "x: f64[:]; out = sum(exp(x) * 2)"
    result = subprocess.run([DUMP, "eval", "-e", chain, "--set", "x=[0, 1]"], capture_output=True, text=True,
                            env={**os.environ, "KILN_DUMP_DIR": folder})
    check(result.returncode == 0, "eval with KILN_DUMP_DIR", result.stderr)
    functions = sorted(os.listdir(folder))
    check(len(functions) == 1 and functions[0].startswith("function-"), "one folder per function", str(functions))
    code, listing, err = run("show", folder)
    check(code == 0 and listing.startswith(functions[0] + ": kernels 1 ("), "show lists the functions", listing + err)
    function_folder = os.path.join(folder, functions[0])
    code, summary, err = run("show", function_folder)
    check(code == 0 and "function key: " in summary and "graph: compiled now" in summary, "show prints the summary",
          summary + err)
    _, compiled_kernel, _ = run("compile", "-e", chain, "--stage", "kernel")
    for stage in ("kernel", "schedule", "optimized"):
        code, shown, err = run("show", function_folder, "--stage", stage)
        _, compiled, _ = run("compile", "-e", chain, "--stage", stage)
        check(code == 0 and shown == compiled, f"show --stage {stage} matches compile --stage {stage}", shown + err)
    # graph.kiln replays the function.
    _, direct, _ = run("eval", "-e", chain, "--set", "x=[0, 1]", "--json")
    code, replayed, err = run("eval", os.path.join(function_folder, "graph.kiln"), "--set", "x=[0, 1]", "--json")
    check(code == 0 and replayed == direct, "eval of the dumped graph.kiln gives the same output", replayed + err)
    code, replayed, err = run("eval", os.path.join(function_folder, "optimized.kiln"), "--set", "x=[0, 1]", "--json")
    check(code == 0 and json.loads(replayed)["values"] == json.loads(direct)["values"],
          "eval of the dumped optimized.kiln gives the same values", replayed + err)
    code, out, err = run("show", function_folder, "--stage", "bitcode")
    check(code == 2 and "unknown stage 'bitcode'" in err, "show with an unknown stage", err)
    code, out, err = run("show", os.path.join(folder, "missing"))
    check(code == 2 and "is not a folder" in err, "show of a missing folder", err)

# --- explain: why two compiles differ ---
with tempfile.TemporaryDirectory() as folder:
    def dump_of(expression, name, flags=""):
        target = os.path.join(folder, name)
        env = {**os.environ, "KILN_DUMP_DIR": target, "KILN_FLAGS": flags}
        result = subprocess.run([DUMP, "compile", "-e", expression, "--stage", "schedule"], capture_output=True,
                                text=True, env=env)
        check(result.returncode == 0, "compile with KILN_DUMP_DIR", result.stderr)
        (only,) = os.listdir(target)
        return os.path.join(target, only)

    base = dump_of("x: f64[:]; out = sum(exp(x) * 2)", "base")
    same = dump_of("x: f64[:]; out = sum(exp(x) * 2)", "same")
    other_graph = dump_of("x: f64[:]; out = sum(exp(x) + 2)", "other_graph")
    other_mode = dump_of("x: f64[:]; out = sum(exp(x) * 2)", "other_mode", "mode=fast_compile")
    code, out, err = run("explain", base, same)
    check(code == 0 and out.startswith("same function key ") and "1 shared" in out, "explain of equal compiles",
          out + err)
    code, out, err = run("explain", base, other_graph)
    check(code == 0 and "first differing key component:\n  A: key graph: " in out, "explain names the graph", out + err)
    check("A:  |Elemwise{mul,no_inplace}" in out and "B:  |Elemwise{add,no_inplace}" in out,
          "explain shows the first graph difference", out)
    check("0 shared" in out and "A:   %" in out, "explain shows the first kernel IR difference", out)
    code, out, err = run("explain", base, other_mode)
    check(code == 0 and "A: key mode: fast_run\n  B: key mode: fast_compile" in out, "explain names the mode",
          out + err)
    code, out, err = run("explain", base)
    check(code == 2 and "two function dump folders" in err, "explain needs two folders", err)
    code, out, err = run("explain", base, folder)
    check(code == 2 and "summary.txt" in err, "explain of a folder that is not a function's", err)

# --- help ---
for command in ("compile", "eval", "graph", "show", "explain", "functions"):
    code, out, err = run(command, "--help")
    check(code == 0 and out.startswith("usage: kiln-dump " + command), command + " --help", out + err)
code, out, err = run("--help")
check(code == 0 and "exit codes:" in out, "kiln-dump --help", out + err)
code, out, err = run("functions")
check(code == 0 and "softmax(x)" in out and "grad(cost, wrt" in out, "functions lists the syntax", out)

os.unlink(graph_file)
for failure in failures:
    print("FAIL:", failure, file=sys.stderr)
print(f"kiln-dump checks: {len(failures)} failed")
sys.exit(1 if failures else 0)
