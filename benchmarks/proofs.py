"""Proof cost per neuron against fan-in and layer width (random IntNetworks, 2 bits, one hidden layer),
and the wide random model Linear(64,2048)-ReLU-Linear(2048,10) through `quantlogic convert` (time, peak
memory, verdict). Run: python benchmarks/proofs.py"""
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from conftest import random_intnet  # noqa: E402
from quantlogic.lower.network import lower_network  # noqa: E402
from quantlogic.verify.parts import prove_by_parts  # noqa: E402


def per_neuron(n_features, width, repeat=3):
    """Median seconds per hidden neuron of the part-by-part proof."""
    times = []
    for seed in range(repeat):
        net = random_intnet(np.random.default_rng(seed), n_features, 2, [width], 2, wbits=3, n_classes=10)
        low = lower_network(net)
        start = time.perf_counter()
        gap = prove_by_parts(net, low)
        times.append((time.perf_counter() - start) / width)
        assert gap is None, gap
    return float(np.median(times))


print("| fan-in | 16 neurons: s per neuron |")
print("|---|---|")
for fanin in (16, 64, 256, 1024, 2048):
    print(f"| {fanin} | {per_neuron(fanin, 16) * 1e3:.1f} ms |")
print("\n| width (fan-in 64) | s per neuron |")
print("|---|---|")
for width in (16, 64, 256, 1024):
    print(f"| {width} | {per_neuron(64, width, repeat=1) * 1e3:.1f} ms |")

import torch  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 2048), torch.nn.ReLU(), torch.nn.Linear(2048, 10))
    torch.save(model.state_dict(), tmp / "wide.pt")
    np.save(tmp / "calib.npy", np.random.default_rng(0).normal(size=(512, 64)).astype(np.float32))
    for bits in (2,):
        cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "quantlogic", "convert", str(tmp / "wide.pt"), "--calib",
               str(tmp / "calib.npy"), "-o", str(tmp / "wide.qlc"), "--wbits", str(bits), "--abits", str(bits),
               "--ibits", str(bits), "--no-simplify"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 2 ** 20
        verdict = next((line for line in proc.stdout.splitlines() if line.startswith("verification")), proc.stderr[-300:])
        print(f"\n64-2048-10 at {bits}/{bits}/{bits}, convert --no-simplify: {seconds:.0f} s, peak {peak:.2f} GB, {verdict}")
