"""Circuit figures for docs/benchmarks.md: AND counts per model and layer (with the DESIGN.md estimate),
convert+proof time, simulator gate evaluations/s, and samples/s of the digits circuit next to the float
torch model on the same inputs. Run: python benchmarks/circuits.py"""
import math

import numpy as np

from quantlogic.formats.depth import depth_of
from quantlogic.kernels.simulate import Simulator
from quantlogic.app.convert import convert
from common import MODELS, median_time


def estimate(net, layer_W, value_bits, n_thresholds):
    """7 (N - log2 S) + 2 log2 S per threshold ANDs per neuron (DESIGN.md section 5), summed over a layer."""
    total = 0
    for row in layer_W:
        dots = sum(bin(abs(int(w))).count("1") for w in row) * value_bits
        if not dots:
            continue
        log_s = math.log2(max(2, sum(abs(int(w)) for w in row) * (2 ** value_bits - 1) + 1))
        total += 7 * (dots - log_s) + 2 * log_s * n_thresholds
    return int(total)


print("## AND counts and convert time (median of 3 converts, proof included)\n")
print("| model | bits (w/a/i) | ANDs | levels | per layer (ours / estimate) | convert + proof | verdict |")
print("|---|---|---|---|---|---|---|")
for name in ["iris", "digits", "wine_bn", "adder3", "digits_fanin"]:
    for bits in (2, 3):
        args = (MODELS / name / "model.pt", MODELS / name / "calib.npy")
        result = {}
        seconds = median_time(lambda: result.update(out=convert(*args, wbits=bits, abits=bits, ibits=bits)), 3)
        bundle, verdict, _ = result["out"]
        net = bundle.net
        parts = []
        value_bits = max(1, int(net.levels.max()).bit_length())
        for k, (W, T) in enumerate(net.hidden):
            parts.append(f"L{k} {bundle.meta['layer_ands'][f'layer {k}']} / {estimate(net, W, value_bits, T.shape[1])}")
            value_bits = net.abits
        parts.append(f"out {bundle.meta['layer_ands']['output']}")
        print(f"| {name} | {bits}/{bits}/{bits} | {bundle.aig.n_ands} | {depth_of(bundle.aig)} | {', '.join(parts)} | "
              f"{seconds:.2f} s | {verdict.method} |")

print("\n## Simulation (digits 64-32-10 at 3 bits, one run, medians of 5)\n")
bundle, _, _ = convert(MODELS / "digits" / "model.pt", MODELS / "digits" / "calib.npy", wbits=3, abits=3, ibits=3)
sim = Simulator(bundle.aig)
n_words = 1 << 12  # 262,144 patterns
rng = np.random.default_rng(0)
words = rng.integers(0, 2 ** 63, size=(bundle.aig.n_inputs, n_words), dtype=np.uint64)
sim.words(words)  # compile
t_sim = median_time(lambda: sim.words(words))
evals = bundle.aig.n_ands * n_words * 64
print(f"- gate evaluations/s (2 threads): {evals / t_sim / 1e9:.1f} G ({bundle.aig.n_ands} ANDs x {n_words * 64} patterns in {t_sim * 1e3:.1f} ms)")
import numba  # noqa: E402

numba.set_num_threads(1)
t_one = median_time(lambda: sim.words(words))
print(f"- gate evaluations/s (1 thread): {evals / t_one / 1e9:.1f} G per core")
numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)

X = np.tile(np.load(MODELS / "digits" / "calib.npy").astype(np.float64), (50, 1))
from quantlogic.app.artifacts import CircuitArtifact

circuit = CircuitArtifact(bundle)
circuit.predict(X[:100])
t_circuit = median_time(lambda: circuit.predict(X))
import torch  # noqa: E402

model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
model.load_state_dict(torch.load(MODELS / "digits" / "model.pt", weights_only=True))
Xt = torch.tensor(X, dtype=torch.float32)
with torch.no_grad():
    t_torch = median_time(lambda: model(Xt).argmax(1))
print(f"- samples/s on {len(X)} rows: circuit (encode + simulate + decode) {len(X) / t_circuit:,.0f}, "
      f"float torch model {len(X) / t_torch:,.0f} (ratio circuit/torch {t_torch / t_circuit:.2f})")
