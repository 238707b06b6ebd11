"""Simplification figures for docs/benchmarks.md (ratios measured in one run):
- truth-table enumeration rows/s, numba kernel vs a torch-batched enumeration (LogicNets style);
- AND counts after our default and high-effort pipelines vs ABC dc2, resyn2 and compress2rs given our unoptimized
  circuit, and what dc2 still finds on our default result;
- on the fan-in-limited model: ours vs the truth-table + espresso + ABC dc2 route on the same network;
- simplify time vs convert time on digits (in the process at three bit widths, and as commands).
Run: python benchmarks/simplify.py"""
import pathlib
import re
import subprocess
import tempfile
import time

import numpy as np
import torch

from quantlogic.formats.depth import depth_of
from quantlogic.formats.aiger import to_aig
from quantlogic.kernels.truth_table import neuron_truth_table
from quantlogic.lower.network import lower_network
from quantlogic.app.convert import quantize_checkpoint
from quantlogic import external
from quantlogic.passes.abc import ALIASES
from quantlogic.passes.registry import EFFORT, run_passes
from common import MODELS, median_time


def abc_stats(aig, script):
    """(ANDs, levels) after ABC's script."""
    with tempfile.TemporaryDirectory() as folder:
        (pathlib.Path(folder) / "in.aig").write_bytes(to_aig(aig))
        out = subprocess.run([external.find("abc"), "-c", f"source {ALIASES}; read_aiger in.aig; strash; {script}; print_stats"],
                             cwd=folder, capture_output=True, text=True, timeout=600).stdout
    out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    return int(re.findall(r"and =\s*(\d+)", out)[-1]), int(re.findall(r"lev =\s*(\d+)", out)[-1])


def abc_ands(aig, script):
    return abc_stats(aig, script)[0]


# 1. truth-table enumeration
rng = np.random.default_rng(0)
n, bits, abits = 10, 2, 2  # 20 input bits: 1,048,576 rows per neuron
neurons = []
for _ in range(8):
    w = rng.integers(-3, 4, size=n)
    T = np.sort(rng.integers(-15, 15, size=2 ** abits - 1))
    neurons.append((w, T))
values = np.tile(np.arange(1 << bits), (n, 1))
neuron_truth_table(*neurons[0][:1], values, bits, neurons[0][1])  # compile
t_numba = median_time(lambda: [neuron_truth_table(w, values, bits, T) for w, T in neurons], 3)
torch.set_num_threads(1)


def torch_tables():
    rows = torch.arange(1 << (n * bits))
    codes = (rows[:, None] >> (torch.arange(n) * bits)) & ((1 << bits) - 1)
    out = []
    for w, T in neurons:
        tables = []
        for chunk in codes.split(1 << 16):
            acc = chunk.float() @ torch.tensor(w, dtype=torch.float32)
            tables.append((acc[:, None] >= torch.tensor(T, dtype=torch.float32)[None, :]).sum(1))
        out.append(torch.cat(tables))
    return out


t_torch = median_time(torch_tables, 3)
rows = len(neurons) << (n * bits)
print("## Truth-table enumeration (8 neurons x 2^20 rows, one thread each)\n")
print(f"- numba kernel (odometer order, blocks cached per outer partial sum): {rows / t_numba / 1e6:.0f} M rows/s; torch batched: {rows / t_torch / 1e6:.1f} M rows/s; "
      f"ratio {t_torch / t_numba:.0f}x")
check = neuron_truth_table(neurons[0][0], values, bits, neurons[0][1])
assert np.array_equal(check, torch_tables()[0].numpy())

# 2. sizes against ABC
print("\n## AND counts: our pipelines vs ABC on our unoptimized circuit\n")
print("| model | bits | lowered | ours default | ours high | ABC dc2 | ABC resyn2 | ABC compress2rs | default / dc2 | "
      "default / compress2rs | dc2 on default | levels: lowered / default / dc2 / compress2rs | default passes s |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for name in ["iris", "digits", "wine_bn", "adder3", "digits_fanin"]:
    for b in (2, 3):
        net, _ = quantize_checkpoint(MODELS / name / "model.pt", MODELS / name / "calib.npy", wbits=b, abits=b, ibits=b)
        aig = lower_network(net).aig
        start = time.perf_counter()
        default, _ = run_passes(aig, EFFORT["default"])
        t_default = time.perf_counter() - start
        high, _ = run_passes(aig, EFFORT["high"])
        (dc2, dc2_levels), (c2rs, c2rs_levels) = abc_stats(aig, "dc2"), abc_stats(aig, "compress2rs")
        resyn2, dc2_on_ours = abc_ands(aig, "resyn2"), abc_ands(default, "dc2")
        print(f"| {name} | {b} | {aig.n_ands} | {default.n_ands} | {high.n_ands} | {dc2} | {resyn2} | {c2rs} | "
              f"{default.n_ands / dc2:.3f} | {default.n_ands / c2rs:.4f} | {dc2_on_ours} ({dc2_on_ours / default.n_ands - 1:+.2%}) | "
              f"{depth_of(aig)} / {depth_of(default)} / {dc2_levels} / {c2rs_levels} | {t_default:.2f} |")

# 3. fan-in-limited: ours vs the truth-table + espresso + ABC route
print("\n## Fan-in-limited model (digits_fanin, 2 bits): ours vs truth table + espresso + ABC dc2\n")
net, _ = quantize_checkpoint(MODELS / "digits_fanin" / "model.pt", MODELS / "digits_fanin" / "calib.npy",
                             wbits=2, abits=2, ibits=2)
ours, _ = run_passes(lower_network(net).aig, EFFORT["default"])
route = lower_network(net, table_always=True).aig
route_abc = abc_ands(route, "dc2")
print(f"- ours (arithmetic or table per neuron, default pipeline): {ours.n_ands} ANDs; every neuron from its truth table "
      f"+ espresso: {route.n_ands}, then ABC dc2: {route_abc}; ratio ours / route {ours.n_ands / route_abc:.3f}")

# 4. time: simplify vs convert on digits, at three bit widths
from quantlogic.app.convert import convert
from quantlogic.app.simplify import simplify_bundle

args = (MODELS / "digits" / "model.pt", MODELS / "digits" / "calib.npy")
print("\n## Time (digits, medians of 5; simplify includes its equivalence proof)\n")
print("| bits (w/a/i) | ANDs | convert (quantize, lower, prove) | simplify --effort low | ratio | "
      "simplify --effort default | ratio | ABC dc2 on the same circuit (subprocess, wall) | default: last run's split s |")
print("|---|---|---|---|---|---|---|---|---|")
for bits in ((2, 2, 2), (3, 2, 2), (3, 3, 3)):
    options = dict(zip(("wbits", "abits", "ibits"), bits))
    result = {}
    t_convert = median_time(lambda: result.update(b=convert(*args, **options)[0]), 5)  # noqa: B023
    row = []
    for effort in ("low", "default"):
        runs = []
        seconds = median_time(lambda: runs.append(simplify_bundle(result["b"], EFFORT[effort])), 5)  # noqa: B023
        row.append(f"{seconds:.2f} s | {seconds / t_convert:.2f}")
    split = ", ".join(f"{st['pass']} {sec:.2f}" for st, sec in zip(runs[-1].meta["simplify"], runs[-1].timings))
    t_abc = median_time(lambda: abc_stats(result["b"].aig, "dc2"), 3)  # noqa: B023
    print(f"| {'/'.join(map(str, bits))} | {result['b'].aig.n_ands} | {t_convert:.2f} s | {' | '.join(row)} | "
          f"{t_abc:.2f} s | {split} |")

# 5. the same comparison as a user sees it: wall time of the commands (fresh processes, default 3-bit options)
with tempfile.TemporaryDirectory() as folder:
    raw, small = pathlib.Path(folder) / "raw.qlc", pathlib.Path(folder) / "small.qlc"
    command = ["quantlogic", "convert", str(args[0]), "--calib", str(args[1]), "--no-simplify", "-o", str(raw)]
    t_cli_convert = median_time(lambda: subprocess.run(command, check=True, capture_output=True), 3)
    t_cli_simplify = median_time(lambda: subprocess.run(["quantlogic", "simplify", str(raw), "-o", str(small)],
                                                        check=True, capture_output=True), 3)
print(f"\n- commands (wall, medians of 3, digits 3/3/3): `quantlogic convert --no-simplify` {t_cli_convert:.2f} s, "
      f"`quantlogic simplify` {t_cli_simplify:.2f} s, ratio {t_cli_simplify / t_cli_convert:.2f}")
