"""Shared helpers for the toy-model training scripts (run by hand, not by the tests)."""
import pathlib

import numpy as np
import torch


def train_classifier(model, X, y, *, epochs, lr=1e-2, weight_decay=1e-4, seed=0, batch=64):
    """Train `model` with Adam and cross-entropy on float arrays X, integer labels y."""
    torch.manual_seed(seed)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    return model


def accuracy(model, X, y):
    with torch.no_grad():
        pred = model(torch.tensor(X, dtype=torch.float32)).argmax(1).numpy()
    return float((pred == y).mean())


def save(folder, model, X_calib, X_test, y_test, feature_names=None):
    """Write model.pt (state_dict), calib.npy, test.npz and feature_names.txt into folder."""
    folder = pathlib.Path(folder)
    torch.save(model.state_dict(), folder / "model.pt")
    np.save(folder / "calib.npy", np.asarray(X_calib, dtype=np.float32))
    np.savez(folder / "test.npz", X=np.asarray(X_test, dtype=np.float32), y=np.asarray(y_test, dtype=np.int64))
    if feature_names is not None:
        (folder / "feature_names.txt").write_text("\n".join(feature_names) + "\n")
