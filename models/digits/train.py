"""scikit-learn's 8x8 digits, 64-32-10 ReLU MLP on raw pixels (0..16)."""
import pathlib
import sys

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))
from common import accuracy, save, train_classifier  # noqa: E402

data = load_digits()
Xtr, Xte, ytr, yte = train_test_split(data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
train_classifier(model, Xtr, ytr, epochs=150, lr=3e-3, batch=64)
print("float test accuracy", accuracy(model, Xte, yte))
save(pathlib.Path(__file__).parent, model, Xtr, Xte, yte, [f"pixel_{r}_{c}" for r in range(8) for c in range(8)])
