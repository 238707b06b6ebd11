"""--finetune --fanin on networks the tool was not tuned on (those of finetune_heldout.py), with and without
the float recovery of the pruned network (without: the masked PTQ network is trained directly). Prints test
rows right at 3/3/3 and 2/2/2. Needs scikit-learn.
Run: python benchmarks/fanin_heldout.py"""
import numpy as np

import finetune_heldout as heldout
import quantlogic.train.finetune as finetune
from quantlogic.app.convert import quantize_rows
from quantlogic.model.data import load_dataset

NETWORKS = [("digits_deep", 6), ("breast_cancer_bn", 4), ("synthetic", 4), ("wine_plain", 4)]


def rows_right(folder, fanin, bits):
    X = load_dataset(folder / "calib.npy")[0]
    _, s = quantize_rows(folder / "model.pt", X, wbits=bits, abits=bits, ibits=bits,
                         finetune=finetune.FinetuneOptions(fanin=fanin), test=folder / "test.npz")
    n = len(np.load(folder / "test.npz")["y"])
    return round(s["test_quantized_accuracy"] * n), round(s["test_float_accuracy"] * n), n


def main():
    recovered = finetune._pruned_float
    print("| network, fan-in | 3/3/3 without / with recovery | 2/2/2 without / with recovery | float |")
    print("|---|---|---|---|")
    for name, fanin in NETWORKS:
        folder, cells = heldout.trained(name), []
        for bits in (3, 2):
            finetune._pruned_float = lambda torch, net, *rest: net  # noqa: E731 (no recovery)
            without = rows_right(folder, fanin, bits)[0]
            finetune._pruned_float = recovered
            with_recovery, float_rows, n = rows_right(folder, fanin, bits)
            cells.append(f"{without} / {with_recovery}")
        print(f"| {name}, {fanin} | {' | '.join(cells)} | {float_rows} of {n} |", flush=True)


if __name__ == "__main__":
    main()
