"""Held-out test accuracy of every bundled model: float, PTQ and --finetune (no labels), at 3/3/3 and 2/2/2;
the fan-in-limited digits at 2/2/2 (--finetune --fanin 6) against the dense 2/2/2 circuit; and the fine-tune
time of digits (median of 3). Prints Markdown for models/README.md and docs/benchmarks.md.
Run: python benchmarks/finetune.py"""
import statistics

import numpy as np

from common import MODELS, timed
from quantlogic.model.data import load_dataset
from quantlogic.app.convert import convert, quantize_rows
from quantlogic.passes.registry import EFFORT
from quantlogic.app.simplify import simplify_bundle
from quantlogic.formats.qnet import save
from quantlogic.train.finetune import FinetuneOptions


def run(name, bits, fanin=None):
    X, _ = load_dataset(MODELS / name / "calib.npy")
    (net, s), seconds = timed(lambda: quantize_rows(MODELS / name / "model.pt", X, wbits=bits, abits=bits, ibits=bits,
                                                    finetune=FinetuneOptions(fanin=fanin),
                                                    test=MODELS / name / "test.npz"))
    return net, s, seconds


print("| model | float | 3/3/3 PTQ | 3/3/3 fine-tuned | 2/2/2 PTQ | 2/2/2 fine-tuned |")
print("|---|---|---|---|---|---|")
for name in ["iris", "digits", "wine_bn", "adder3", "digits_fanin"]:
    cells = []
    for bits in (3, 2):
        _, s, _ = run(name, bits)
        cells += [f"{100 * s['test_ptq_accuracy']:.1f}%", f"{100 * s['test_quantized_accuracy']:.1f}%"]
    print(f"| {name} | {100 * s['test_float_accuracy']:.1f}% | {' | '.join(cells)} |")

times = [run("digits", 2)[2] for _ in range(3)]
print(f"\nfine-tune of digits at 2/2/2 (PTQ + training + selection): median {statistics.median(times):.1f} s "
      f"of {', '.join(f'{t:.1f}' for t in times)}")

sizes = {}
for fanin in (None, 6):
    net, s, _ = run("digits", 2, fanin)
    path = f"/tmp/digits_ft_{fanin}.qnet"
    save(net, path)
    bundle = simplify_bundle(convert(path)[0], EFFORT["default"])
    sizes[fanin] = (bundle.aig.n_ands, s["test_quantized_accuracy"], s["test_float_accuracy"])
dense, pruned = sizes[None], sizes[6]
print(f"digits 2/2/2 fine-tuned dense: {dense[0]} ANDs, {100 * dense[1]:.1f}%; --fanin 6: {pruned[0]} ANDs "
      f"({pruned[0] / dense[0]:.2f} of dense), {100 * pruned[1]:.1f}% (float {100 * dense[2]:.1f}%)")
