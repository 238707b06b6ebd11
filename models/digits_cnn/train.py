"""scikit-learn's 8x8 digits, a small CNN on raw pixels (0..16): the row viewed as 1x8x8,
Conv2d(1, 4, 3, padding=1)-BatchNorm2d-ReLU-MaxPool2d(2)-Flatten-Linear(64, 10). Saved as TorchScript
(model.pt, traced) and torch.export (model.pt2); a state_dict cannot say how the row is reshaped."""
import pathlib
import sys

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(pathlib.Path(__file__).parent.parent))
from common import accuracy, save, train_classifier  # noqa: E402


class DigitsCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.pool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(64, 10)

    def forward(self, x):
        x = x.view(-1, 1, 8, 8)
        x = self.pool(torch.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(x, 1))


folder = pathlib.Path(__file__).parent
data = load_digits()
Xtr, Xte, ytr, yte = train_test_split(data.data, data.target, test_size=0.25, random_state=0, stratify=data.target)
torch.manual_seed(0)
model = DigitsCNN()
train_classifier(model, Xtr, ytr, epochs=150, lr=3e-3, batch=64)
print("float test accuracy", accuracy(model, Xte, yte))
save(folder, model, Xtr, Xte, yte, [f"pixel_{r}_{c}" for r in range(8) for c in range(8)])
example = torch.zeros(2, 64)
torch.jit.save(torch.jit.trace(model, example), folder / "model.pt")  # replaces the state_dict save() wrote
torch.export.save(torch.export.export(model, (example,)), folder / "model.pt2")
