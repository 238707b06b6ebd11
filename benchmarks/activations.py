"""Networks with activations other than ReLU (each read from a traced TorchScript file, which names its
activation): digits 64-32-10 MLPs trained here with each activation, and a breast-cancer classifier with one
logit (BCE), held-out test accuracy of float, PTQ and --finetune (no labels) at 3/3/3 and 2/2/2. Needs
scikit-learn. Run: python benchmarks/activations.py [NAME ...]"""
import pathlib
import sys
import tempfile
import time

import numpy as np
import torch
from sklearn import datasets
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "models"))
from common import train_classifier  # noqa: E402
from quantlogic.app.convert import quantize_rows  # noqa: E402
from quantlogic.train.finetune import FinetuneOptions  # noqa: E402

nn = torch.nn
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "leaky_relu": lambda: nn.LeakyReLU(0.1),
               "elu": nn.ELU, "selu": nn.SELU, "softplus": nn.Softplus, "hardsigmoid": nn.Hardsigmoid,
               "softsign": nn.Softsign}


def digits(act):
    X, y = datasets.load_digits(return_X_y=True)
    return (X, y), nn.Sequential(nn.Linear(64, 32), ACTIVATIONS[act](), nn.Linear(32, 10)), "ce"


def breast_cancer_one_logit():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return (X, y), nn.Sequential(nn.Linear(30, 16), nn.Tanh(), nn.Linear(16, 1)), "bce"


def _train_bce(model, X, y):
    torch.manual_seed(3)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    for _ in range(300):
        loss = nn.functional.binary_cross_entropy_with_logits(model(Xt)[:, 0], yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def run(name, make):
    (X, y), model, loss = make()
    Xtr, Xte, ytr, yte = train_test_split(X.astype(np.float32), y, test_size=0.3, random_state=11, stratify=y)
    torch.manual_seed(3)
    if loss == "bce":
        _train_bce(model, Xtr, ytr)
    else:
        train_classifier(model, Xtr, ytr, epochs=200, lr=1e-2, batch=32, seed=3)
    cells = []
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "model.pt"
        torch.jit.save(torch.jit.trace(model.eval(), torch.tensor(Xtr[:2])), path)
        for bits in (3, 2):
            for finetune in (None, FinetuneOptions()):
                _, s = quantize_rows(path, Xtr.astype(np.float64), wbits=bits, abits=bits, ibits=bits,
                                     finetune=finetune, test=(Xte.astype(np.float64), yte))
                cells.append(s["test_quantized_accuracy"])
    return s["test_float_accuracy"], cells


def main(names):
    makers = {**{f"digits_{a}": (lambda a=a: digits(a)) for a in ACTIVATIONS},
              "breast_cancer_one_logit": breast_cancer_one_logit}
    print("| network | float | 3/3/3 PTQ | 3/3/3 fine-tuned | 2/2/2 PTQ | 2/2/2 fine-tuned | s |")
    print("|---|---|---|---|---|---|---|")
    for name in names or makers:
        start = time.perf_counter()
        float_acc, cells = run(name, makers[name])
        print(f"| {name} | {float_acc:.1%} | " + " | ".join(f"{c:.1%}" for c in cells)
              + f" | {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
