"""Held-out test rows right over the 11 networks used to judge fine-tuning changes (the 6 bundled models and the 5
of finetune_heldout.py), one bit width, PTQ and --finetune (no labels); one line a network and the sums. Needs
scikit-learn (the held-out networks are trained once, cached in /tmp/quantlogic_heldout).
Run: python benchmarks/finetune_sums.py BITS [--ptq-only] [--seed S] [--temperature T] [NAME ...]"""
import argparse
import pathlib
import time

import numpy as np

from finetune_heldout import MODELS as HELD_OUT, trained  # puts models/ first on the path: its common.py
from quantlogic.app.convert import quantize_rows
from quantlogic.model.data import load_dataset
from quantlogic.train.finetune import FinetuneOptions

BUNDLED_FOLDER = pathlib.Path(__file__).resolve().parent.parent / "models"
BUNDLED = ["iris", "digits", "wine_bn", "adder3", "digits_fanin", "digits_cnn"]


def rows_right(folder, bits, finetune=None):
    """(float, PTQ, final, test rows) for the network in folder: PTQ, then fine-tuned with FinetuneOptions
    finetune when given."""
    X, _ = load_dataset(folder / "calib.npy")
    n = len(np.load(folder / "test.npz")["y"])
    _, s = quantize_rows(folder / "model.pt", X, wbits=bits, abits=bits, ibits=bits, finetune=finetune,
                         test=folder / "test.npz")
    final = round(s["test_quantized_accuracy"] * n)
    return round(s["test_float_accuracy"] * n), round(s.get("test_ptq_accuracy", final / n) * n), final, n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bits", type=int)
    parser.add_argument("--ptq-only", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--temperature", type=float, default=FinetuneOptions.temperature)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    totals = np.zeros(4, dtype=int)
    for name in args.names or BUNDLED + list(HELD_OUT):
        folder = BUNDLED_FOLDER / name if name in BUNDLED else trained(name)
        start = time.perf_counter()
        options = None if args.ptq_only else FinetuneOptions(seed=args.seed, temperature=args.temperature)
        counts = rows_right(folder, args.bits, options)
        totals += counts
        print(f"{name:18s} float {counts[0]:4d}  PTQ {counts[1]:4d}  final {counts[2]:4d}  of {counts[3]:4d}"
              f"  {time.perf_counter() - start:5.1f} s", flush=True)
    print(f"{'sum':18s} float {totals[0]:4d}  PTQ {totals[1]:4d}  final {totals[2]:4d}  of {totals[3]:4d}")


if __name__ == "__main__":
    main()
