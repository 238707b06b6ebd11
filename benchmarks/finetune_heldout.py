"""Fine-tuning on networks the tool was not tuned on: fresh MLPs trained here on scikit-learn data (not the
bundled models' splits or seeds), held-out test accuracy of float, PTQ and --finetune (no labels) at
3/3/3 and 2/2/2. Needs scikit-learn. The trained checkpoints are cached in /tmp/quantlogic_heldout.
Run: python benchmarks/finetune_heldout.py [NAME ...]"""
import pathlib
import sys

import numpy as np
import torch
from sklearn import datasets
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "models"))
from common import accuracy, save, train_classifier  # noqa: E402
from quantlogic.app.convert import quantize_rows  # noqa: E402
from quantlogic.train.finetune import FinetuneOptions  # noqa: E402

CACHE = pathlib.Path("/tmp/quantlogic_heldout")
nn = torch.nn


def breast_cancer_bn():
    return datasets.load_breast_cancer(return_X_y=True), lambda: nn.Sequential(
        nn.BatchNorm1d(30), nn.Linear(30, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(),
        nn.Linear(8, 2))


def wine_plain():
    return datasets.load_wine(return_X_y=True), lambda: nn.Sequential(nn.Linear(13, 24), nn.ReLU(), nn.Linear(24, 3))


def digits_deep():
    return datasets.load_digits(return_X_y=True), lambda: nn.Sequential(
        nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def iris_small():
    return datasets.load_iris(return_X_y=True), lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))


def synthetic():
    data = datasets.make_classification(n_samples=1500, n_features=20, n_informative=8, n_classes=4,
                                        random_state=7)
    return data, lambda: nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 4))


def mnist1d_mlp():
    """The MNIST-1D MLP of issue 13 (40-64-64-10, float about 60 %): the data set is generated here by the
    mnist1d package (pip install mnist1d), 5,000 rows from its templates, no download."""
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())
    X, y = np.concatenate([data["x"], data["x_test"]]), np.concatenate([data["y"], data["y_test"]])
    return (X, y), lambda: nn.Sequential(nn.Linear(40, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                                         nn.Linear(64, 10))


MODELS = {f.__name__: f for f in (breast_cancer_bn, wine_plain, digits_deep, iris_small, synthetic)}
EXTRA = {"mnist1d_mlp": mnist1d_mlp}  # not in the 11-network sums; run by name


def trained(name):
    folder = CACHE / name
    if not (folder / "model.pt").exists():
        (X, y), make = {**MODELS, **EXTRA}[name]()
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=11, stratify=y)
        torch.manual_seed(3)
        model = make()
        train_classifier(model, Xtr.astype(np.float32), ytr, epochs=200, lr=1e-2, batch=32, seed=3)
        folder.mkdir(parents=True, exist_ok=True)
        save(folder, model, Xtr, Xte, yte)
        print(f"trained {name}: float test accuracy {accuracy(model, Xte.astype(np.float32), yte):.3f}",
              file=sys.stderr)
    return folder


def main(names):
    print("| held-out model | float | 3/3/3 PTQ | 3/3/3 fine-tuned | 2/2/2 PTQ | 2/2/2 fine-tuned |")
    print("|---|---|---|---|---|---|")
    for name in names:
        folder = trained(name)
        X = np.load(folder / "calib.npy")
        cells = []
        for bits in (3, 2):
            _, s = quantize_rows(folder / "model.pt", X, wbits=bits, abits=bits, ibits=bits,
                                 finetune=FinetuneOptions(), test=folder / "test.npz")
            cells += [f"{100 * s['test_ptq_accuracy']:.1f}%", f"{100 * s['test_quantized_accuracy']:.1f}%"]
        print(f"| {name} | {100 * s['test_float_accuracy']:.1f}% | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or list(MODELS))
