"""Wine, with BatchNorm1d at the input and after the hidden Linear: BN(13)-Linear(13,16)-BN(16)-ReLU-Linear(16,3)."""
import pathlib
import sys

import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))
from common import accuracy, save, train_classifier  # noqa: E402

data = load_wine()
Xtr, Xte, ytr, yte = train_test_split(data.data, data.target, test_size=0.3, random_state=0, stratify=data.target)
torch.manual_seed(0)
nn = torch.nn
model = nn.Sequential(nn.BatchNorm1d(13), nn.Linear(13, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
train_classifier(model, Xtr, ytr, epochs=200, lr=1e-2, batch=32)
print("float test accuracy", accuracy(model, Xte, yte))
save(pathlib.Path(__file__).parent, model, Xtr, Xte, yte, list(data.feature_names))
