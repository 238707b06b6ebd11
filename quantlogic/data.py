"""Feature and label files: .npy, .npz (arrays X and optionally y) and .csv (rows are samples)."""
import pathlib
import zipfile

import numpy as np

from .errors import QuantlogicError

MAX_VALUE = 1e15  # |feature| beyond this loses all precision in the float64 arithmetic of quantization


def load_dataset(path, labels_path=None):
    """Return (X float64 of shape (N, F), y int64 of shape (N,) or None)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    suffix = path.suffix.lower()
    y = None
    try:
        if suffix == ".npy":
            X = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                if "X" not in archive:
                    raise QuantlogicError(f"{path}: an .npz needs an array named X (found {sorted(archive.files)})")
                X = archive["X"]
                y = archive["y"] if "y" in archive else None
        elif suffix == ".csv":
            X = np.loadtxt(path, delimiter=",", ndmin=2)
        else:
            raise QuantlogicError(f"{path}: unknown data format {suffix!r} (use .npy, .npz or .csv)")
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise QuantlogicError(f"{path}: cannot read data: {exc}") from None
    if labels_path is not None:
        y = load_labels(labels_path)
    return _checked_features(X, path), _checked_labels(y, len(X), path)


def load_labels(path):
    """Labels from .npy or .csv/.txt (one integer per line)."""
    path = pathlib.Path(path)
    try:
        if path.suffix.lower() == ".npy":
            return np.load(path, allow_pickle=False)
        return np.loadtxt(path, delimiter=",", ndmin=1)
    except (ValueError, OSError) as exc:
        raise QuantlogicError(f"{path}: cannot read labels: {exc}") from None


def _checked_features(X, path):
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[0] == 0:
        raise QuantlogicError(f"{path}: features must be a non-empty 2-D array (rows are samples), got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise QuantlogicError(f"{path}: features must be real numbers, got {X.dtype}")
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise QuantlogicError(f"{path}: features contain NaN or infinity")
    if np.max(np.abs(X)) > MAX_VALUE:
        raise QuantlogicError(f"{path}: features reach {np.max(np.abs(X)):.3g}, beyond +-{MAX_VALUE:.0e}")
    return X


def _checked_labels(y, n, path):
    if y is None:
        return None
    y = np.asarray(y).reshape(-1)
    if y.dtype.kind not in "biuf":
        raise QuantlogicError(f"{path}: labels must be integers, got {y.dtype}")
    if len(y) != n:
        raise QuantlogicError(f"{path}: {len(y)} labels for {n} samples")
    if not np.all(np.equal(np.mod(y, 1), 0)):
        raise QuantlogicError(f"{path}: labels must be integers")
    return y.astype(np.int64)
