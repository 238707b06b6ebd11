"""Held-out accuracy of every bundled model: float, our PTQ (mse) and naive max-range PTQ, at 2 and 3 bits.
Prints a Markdown table for models/README.md. Run: python benchmarks/ptq_accuracy.py"""
import time

from quantlogic.app.convert import accuracy_on, load_float_network, quantize_checkpoint
from common import MODELS


print("| model | layers | float | 3-bit (ours) | 3-bit (naive) | 2-bit (ours) | 2-bit (naive) | quantize time, 3-bit |")
print("|---|---|---|---|---|---|---|---|")
for name in ["iris", "digits", "wine_bn", "adder3", "digits_fanin"]:
    ckpt, calib, test = MODELS / name / "model.pt", MODELS / name / "calib.npy", MODELS / name / "test.npz"
    net = load_float_network(ckpt)
    cells, widths, seconds = [], None, None
    for bits in (3, 2):
        for method in ("mse", "naive"):
            start = time.perf_counter()
            intnet, _ = quantize_checkpoint(ckpt, calib, wbits=bits, abits=bits, ibits=bits, method=method)
            if bits == 3 and method == "mse":
                seconds = time.perf_counter() - start
            float_acc, q_acc = accuracy_on(intnet, net, test)
            widths = "-".join(map(str, intnet.widths))
            cells.append(f"{100 * q_acc:.1f}%")
    print(f"| {name} | {widths} | {100 * float_acc:.1f}% | {' | '.join(cells)} | {seconds:.2f} s |")
