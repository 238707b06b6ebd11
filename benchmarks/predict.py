"""Predict throughput end to end on digits_fanin at 2/2/2 (default simplification), 2^20 random rows:
the fused circuit path (Bundle.predict: encode, pack, simulate, decode) with 1 and 2 numba threads, the float
torch model (one thread, denormals flushed, float32 rows already a tensor), and Verilator's model of the
exported Verilog (one sample per eval, inputs already bits); medians of 3. Then the command line on 1 M rows
of digits 3/3/3 from an .npy: time and peak memory (/usr/bin/time). Run: python benchmarks/predict.py"""
import pathlib
import shutil
import statistics
import subprocess
import tempfile
import time

import numba
import numpy as np
import torch

from common import MODELS
from quantlogic.app.convert import convert, simplify_converted
from quantlogic.formats.exporters import export

torch.set_num_threads(1)
torch.set_flush_denormal(True)
N = 1 << 20


def median_rate(fn, n=N):
    fn()
    return n / statistics.median(_seconds(fn) for _ in range(3))


def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def verilator_rate(bundle, folder, n=200_000):
    aig = bundle.aig
    (folder / "net.v").write_text(export(bundle, "v"))
    sets = "\n".join(f"        top->{pin} = (s >> {k % 64}) & 1;" for k, pin in enumerate(aig.input_names))
    (folder / "main.cpp").write_text(f"""#include "Vquantlogic.h"
#include <chrono>
#include <cstdio>
#include <cstdint>
int main() {{
    Vquantlogic *top = new Vquantlogic; uint64_t s = 88172645463325252ULL, sink = 0;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < {n}; i++) {{
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
{sets}
        top->eval(); sink += top->y_0;
    }}
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%.0f %llu\\n", {n} / t, (unsigned long long)sink);
    delete top; return 0;
}}
""")
    subprocess.run(["verilator", "--cc", "net.v", "--top-module", "quantlogic", "--exe", "main.cpp", "--build", "-O3",
                    "-Mdir", "obj"], cwd=folder, check=True, capture_output=True)
    return statistics.median(float(subprocess.run(["obj/Vquantlogic"], cwd=folder, capture_output=True, text=True,
                                                  check=True).stdout.split()[0]) for _ in range(3))


name = "digits_fanin"
bundle, _, _ = convert(MODELS / name / "model.pt", MODELS / name / "calib.npy", wbits=2, abits=2, ibits=2)
bundle, _ = simplify_converted(bundle)
X = np.load(MODELS / name / "calib.npy").astype(np.float64)
rng = np.random.default_rng(0)
rows = X[rng.integers(0, len(X), N)] + rng.normal(size=(N, X.shape[1]))
classifier = bundle.classifier()
rates = {}
for threads in (1, 2):
    numba.set_num_threads(threads)
    rates[f"circuit, {threads} numba thread(s)"] = median_rate(lambda: classifier.classes(rows))
state = torch.load(MODELS / name / "model.pt", weights_only=True)
model = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 32), torch.nn.ReLU(),
                            torch.nn.Linear(32, 10))
model.load_state_dict(state)
model.eval()
tensor = torch.tensor(rows, dtype=torch.float32)
with torch.no_grad():
    rates["float torch model, one thread"] = median_rate(lambda: model(tensor).argmax(1))
if shutil.which("verilator"):
    with tempfile.TemporaryDirectory() as folder:
        rates["Verilator -O3 model of the exported Verilog"] = verilator_rate(bundle, pathlib.Path(folder))
print(f"digits_fanin 2/2/2, {bundle.aig.n_ands} ANDs, {N} rows:")
for what, rate in rates.items():
    print(f"  {what}: {rate:,.0f} samples/s")

digits, _, _ = convert(MODELS / "digits" / "model.pt", MODELS / "digits" / "calib.npy", wbits=3, abits=3, ibits=3)
digits, _ = simplify_converted(digits)
with tempfile.TemporaryDirectory() as folder:
    folder = pathlib.Path(folder)
    digits.save(folder / "d.qlc")
    X = np.load(MODELS / "digits" / "calib.npy").astype(np.float32)
    np.save(folder / "big.npy", (X[rng.integers(0, len(X), 1_000_000)] + rng.normal(size=(1_000_000, 64))).astype(
        np.float32))
    out = subprocess.run(["/usr/bin/time", "-f", "%e s %M KB", "quantlogic", "--quiet", "predict", "d.qlc", "big.npy",
                          "-o", "p.npy"], cwd=folder, capture_output=True, text=True)
    print(f"quantlogic predict, 1 M rows of digits 3/3/3 (.npy float32): {out.stderr.strip().splitlines()[-1]}")
