"""A fan-in-limited MLP on the 8x8 digits (LogicNets style): every hidden neuron sees a fixed random
subset of 6 inputs, trained with that mask: Linear(64,48)-ReLU-Linear(48,32)-ReLU-Linear(32,10), the
hidden Linears masked to fan-in 6. The masked weights are exact zeros in the saved state_dict."""
import pathlib
import sys

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))
from common import accuracy, save  # noqa: E402

FAN_IN = 6
data = load_digits()
Xtr, Xte, ytr, yte = train_test_split(data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
torch.manual_seed(0)
rng = np.random.default_rng(0)
nn = torch.nn
model = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 32), nn.ReLU(), nn.Linear(32, 10))
masks = {}
for index in (0, 2):
    layer = model[index]
    mask = torch.zeros_like(layer.weight)
    for j in range(mask.shape[0]):
        mask[j, rng.choice(mask.shape[1], FAN_IN, replace=False)] = 1
    masks[index] = mask
    layer.weight.data *= mask

Xt, yt = torch.tensor(Xtr, dtype=torch.float32), torch.tensor(ytr)
opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
epochs = 300
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
gen = torch.Generator().manual_seed(0)
for _ in range(epochs):
    perm = torch.randperm(len(Xt), generator=gen)
    for i in range(0, len(Xt), 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx]).backward()
        opt.step()
        with torch.no_grad():
            for index, mask in masks.items():
                model[index].weight *= mask
    sched.step()
model.eval()
print("float test accuracy", accuracy(model, Xte, yte))
save(pathlib.Path(__file__).parent, model, Xtr, Xte, yte, [f"pixel_{r}_{c}" for r in range(8) for c in range(8)])
