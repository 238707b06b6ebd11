"""--finetune --fanin on networks the tool was not tuned on (those of finetune_heldout.py): test rows right at
3/3/3 and 2/2/2 against the float network. Needs scikit-learn.
Run: python benchmarks/fanin_heldout.py"""
import finetune_heldout as heldout
from finetune_sums import rows_right
from quantlogic.train.finetune import FinetuneOptions

NETWORKS = [("digits_deep", 6), ("breast_cancer_bn", 4), ("synthetic", 4), ("wine_plain", 4)]


def main():
    print("| network, fan-in | 3/3/3 | 2/2/2 | float |")
    print("|---|---|---|---|")
    for name, fanin in NETWORKS:
        folder = heldout.trained(name)
        three = rows_right(folder, 3, FinetuneOptions(fanin=fanin))[2]
        float_rows, _, two, n = rows_right(folder, 2, FinetuneOptions(fanin=fanin))
        print(f"| {name}, {fanin} | {three} | {two} | {float_rows} of {n} |", flush=True)


if __name__ == "__main__":
    main()
