"""A learned 3-bit adder: inputs a0..a2, b0..b2 (0/1), class = a + b (0..14). Test set = all 64 inputs."""
import pathlib
import sys

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))
from common import accuracy, save, train_classifier  # noqa: E402

codes = np.arange(64)
X = ((codes[:, None] >> np.arange(6)) & 1).astype(np.float32)
y = (codes & 7) + (codes >> 3)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(6, 24), torch.nn.ReLU(), torch.nn.Linear(24, 15))
Xtr = np.repeat(X, 16, axis=0)
ytr = np.repeat(y, 16)
train_classifier(model, Xtr, ytr, epochs=300, lr=1e-2, batch=64)
print("float accuracy (all 64 inputs)", accuracy(model, X, y))
save(pathlib.Path(__file__).parent, model, X, X, y, [f"a{i}" for i in range(3)] + [f"b{i}" for i in range(3)])
