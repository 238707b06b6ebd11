"""Iris, 4-16-3 ReLU MLP on raw features (cm). Writes model.pt, calib.npy, test.npz."""
import pathlib
import sys

import torch
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))
from common import accuracy, save, train_classifier  # noqa: E402

data = load_iris()
Xtr, Xte, ytr, yte = train_test_split(data.data, data.target, test_size=0.3, random_state=0, stratify=data.target)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
train_classifier(model, Xtr, ytr, epochs=400, lr=1e-2, batch=32)
print("float test accuracy", accuracy(model, Xte, yte))
names = [n.replace(" (cm)", "").replace(" ", "_") for n in data.feature_names]
save(pathlib.Path(__file__).parent, model, Xtr, Xte, yte, names)
