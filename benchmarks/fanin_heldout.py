"""--finetune --fanin on networks the tool was not tuned on (those of finetune_heldout.py): test rows right at
3/3/3 and 2/2/2 against the float network. Needs scikit-learn.
Run: python benchmarks/fanin_heldout.py"""
import numpy as np

import finetune_heldout as heldout
from quantlogic.app.convert import quantize_rows
from quantlogic.model.data import load_dataset
from quantlogic.train.finetune import FinetuneOptions

NETWORKS = [("digits_deep", 6), ("breast_cancer_bn", 4), ("synthetic", 4), ("wine_plain", 4)]


def rows_right(folder, fanin, bits):
    X = load_dataset(folder / "calib.npy")[0]
    _, s = quantize_rows(folder / "model.pt", X, wbits=bits, abits=bits, ibits=bits,
                         finetune=FinetuneOptions(fanin=fanin), test=folder / "test.npz")
    n = len(np.load(folder / "test.npz")["y"])
    return round(s["test_quantized_accuracy"] * n), round(s["test_float_accuracy"] * n), n


def main():
    print("| network, fan-in | 3/3/3 | 2/2/2 | float |")
    print("|---|---|---|---|")
    for name, fanin in NETWORKS:
        folder = heldout.trained(name)
        three = rows_right(folder, fanin, 3)[0]
        two, float_rows, n = rows_right(folder, fanin, 2)
        print(f"| {name}, {fanin} | {three} | {two} | {float_rows} of {n} |", flush=True)


if __name__ == "__main__":
    main()
