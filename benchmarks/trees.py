"""Decision diagram figures for docs/benchmarks.md: node counts and build times per bundled model, the
largest whole-network input width built within 60 s, and per-neuron diagrams at fan-in 32 (3-bit weights,
2-bit inputs). Run: python benchmarks/trees.py"""
import statistics

import numpy as np

from quantlogic.ir.tree import Diagram
from quantlogic.lower.to_tree import network_diagram, neuron_diagram, threshold_diagram
from quantlogic.app.convert import quantize_checkpoint
from quantlogic.errors import QuantlogicError
from common import MODELS, timed


network_diagram(quantize_checkpoint(MODELS / "iris" / "model.pt", MODELS / "iris" / "calib.npy",
                                    wbits=2, abits=2, ibits=1)[0])  # compile the bounds kernel

print("| model | bits | whole network: nodes / unfolded leaves / depth / time | per neuron (all hidden): nodes median / max, total time |")
print("|---|---|---|---|")
for name in ["iris", "digits", "wine_bn", "adder3"]:
    for bits in (2, 3):
        net, _ = quantize_checkpoint(MODELS / name / "model.pt", MODELS / name / "calib.npy", wbits=bits,
                                     abits=bits, ibits=bits)
        try:
            d, t = timed(lambda: network_diagram(net))
            whole = f"{d.n_nodes} / {d.paths()} / {d.depth()} / {t:.2f} s"
        except QuantlogicError as exc:
            whole = "refused: " + str(exc).split(";")[0]
        sizes, total = [], 0.0
        for layer, (W, _) in enumerate(net.hidden):
            for j in range(W.shape[0]):
                d, t = timed(lambda: neuron_diagram(net, f"{layer}.{j}"))
                sizes.append(d.n_nodes)
                total += t
        print(f"| {name} | {bits} | {whole} | {statistics.median(sizes):.0f} / {max(sizes)}, {total:.2f} s |")

print("\nPer-neuron diagrams, fan-in 32, random 3-bit weights, 2-bit inputs, 3 thresholds (20 neurons):")
rng = np.random.default_rng(0)
times, sizes = [], []
for _ in range(20):
    w = rng.integers(-3, 4, size=32)
    lo, hi = np.minimum(w * 3, 0).sum(), np.maximum(w * 3, 0).sum()
    T = np.sort(rng.integers(lo, hi + 1, size=3))
    d, t = timed(lambda: threshold_diagram(w, [[0, 1, 2, 3]] * 32, T, Diagram("neuron", [str(i) for i in range(32)],
                                                                              [None] * 32, [4] * 32)))
    times.append(t)
    sizes.append(d.n_nodes)
print(f"- nodes median {statistics.median(sizes):.0f}, max {max(sizes)}; time median {statistics.median(times):.3f} s, "
      f"max {max(times):.3f} s")

print("\nWhole-network width (wine_bn, 13 features, 2-bit weights/activations, node budget 300,000):")
for ibits in (1, 2, 3):
    net, _ = quantize_checkpoint(MODELS / "wine_bn" / "model.pt", MODELS / "wine_bn" / "calib.npy", wbits=2,
                                 abits=2, ibits=ibits)
    try:
        d, t = timed(lambda: network_diagram(net, max_input_bits=64, max_nodes=300_000))
        print(f"- {13 * ibits} input bits: {d.n_nodes} nodes, {t:.2f} s")
    except QuantlogicError as exc:
        print(f"- {13 * ibits} input bits: {exc}")
