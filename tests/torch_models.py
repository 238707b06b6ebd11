"""What the reader tests share: small torch networks trained in the test, saved in a format, read back, and run."""
import pathlib

import numpy as np
import torch

from conftest import assert_clean_failure, run_cli
from quantlogic.app.convert import load_float_network

nn = torch.nn
MODULES = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softsign": nn.Softsign, "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "prelu": lambda: nn.PReLU(init=0.3), "elu": lambda: nn.ELU(0.7), "selu": nn.SELU,
    "softplus": lambda: nn.Softplus(beta=2.0), "hardsigmoid": nn.Hardsigmoid,
    "hardtanh": lambda: nn.Hardtanh(-0.5, 2.0),
}
FORMS = ["trace", "script", "export"]


def trained(act, n_out=3, seed=0):
    """A 5-12-n_out network with activation act trained on rows labelled by a rule (one logit: BCE); a PReLU keeps
    its slope."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(300, 5, generator=gen) * 2
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).long() + (n_out > 2) * (X[:, 3] > 1).long()
    model = nn.Sequential(nn.Linear(5, 12), MODULES[act](), nn.Linear(12, n_out))
    opt = torch.optim.Adam([p for name, p in model.named_parameters() if not name.startswith("1.")], 2e-2)
    for _ in range(80):
        out = model(X)
        loss = (nn.functional.binary_cross_entropy_with_logits(out[:, 0], y.float()) if n_out == 1 else
                nn.functional.cross_entropy(out, y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), X.numpy().astype(np.float64)


def saved(model, X, form, folder, name="m"):
    """The path of model saved in folder as a trace or script (.pt) or a torch.export program (.pt2) on rows X."""
    path = pathlib.Path(folder) / f"{name}.pt{'2' * (form == 'export')}"
    if form == "trace":
        torch.jit.save(torch.jit.trace(model, torch.tensor(X[:2], dtype=torch.float32)), path)
    elif form == "script":
        torch.jit.save(torch.jit.script(model), path)
    else:
        torch.export.save(torch.export.export(model, (torch.tensor(X[:4], dtype=torch.float32),)), path)
    return path


def read(model, X, form, folder):
    """The FloatNetwork quantlogic reads from model saved in form (or traced from the module itself)."""
    return load_float_network(model if form == "module" else saved(model, X, form, folder), X=X)


def torch_logits(model, X):
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).double().numpy()


def assert_refused(model, X, form, folder, command, *words):
    """The command (convert or quantize) on model saved in form stops with one clear line naming words, and
    writes nothing."""
    np.save(pathlib.Path(folder) / "x.npy", X)
    output = pathlib.Path(folder) / ("out.qlc" if command == "convert" else "out.qnet")
    code, out, err = run_cli(command, saved(model, X, form, folder), "--calib", pathlib.Path(folder) / "x.npy", "-o",
                             output)
    assert_clean_failure(code, out, err, *words)
    assert not output.exists()
