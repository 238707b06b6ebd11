"""Feature and label files: .npy, .npz (arrays X and optionally y, or their usual other names) and .csv (rows are
samples)."""
import pathlib
import zipfile
import zlib

import numpy as np

from ..arrays import check_zip_sizes, npy_row_chunks, read_npy
from ..errors import QuantlogicError

MAX_VALUE = 1e15  # |feature| beyond this loses all precision in the float64 arithmetic of quantization
MAX_LABEL = 2 ** 31
MAX_FILE_BYTES = 4 << 30  # a data file is read whole


def load_dataset(path, labels_path=None, keep_shape=False):
    """Return (X float64 of shape (N, F), y int64 of shape (N,) or None). Samples of several dimensions (images)
    are flattened row-major, unless keep_shape (X of shape (N, ...))."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    suffix = path.suffix.lower()
    y = None
    try:
        if suffix == ".npy":
            X = _read_npy_file(path)
        elif suffix == ".npz":
            X, y = _read_npz(path)
        elif suffix == ".csv":
            X = np.loadtxt(_text(path), delimiter=",", ndmin=2)
        else:
            raise QuantlogicError(f"{path}: unknown data format {suffix!r} (use .npy, .npz or .csv)")
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, zlib.error, RuntimeError, NotImplementedError) as exc:
        raise QuantlogicError(f"{path}: cannot read data: {exc}") from None
    if labels_path is not None:
        y = load_labels(labels_path)
    return _checked_features(X, path, keep_shape), _checked_labels(y, len(X), path)


def row_chunks(path, rows=1 << 16):
    """The feature rows of a data file, `rows` at a time (an .npy is read from disk chunk by chunk; other
    formats are read whole first), each chunk checked as load_dataset checks a file."""
    path = pathlib.Path(path)
    if path.suffix.lower() != ".npy":
        X, _ = load_dataset(path)
        for start in range(0, len(X), rows):
            yield X[start:start + rows]
        return
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    _check_size(path)
    for chunk in npy_row_chunks(path, rows, str(path)):
        yield _checked_features(chunk, path)


def from_arrays(X, y=None, where="the calibration rows", keep_shape=False):
    """(X, y) of arrays given in Python, checked as a data file's are (y may also be a labels file)."""
    if y is not None and isinstance(y, (str, pathlib.Path)):
        y = load_labels(y)
    return (_checked_features(X, where, keep_shape),
            _checked_labels(None if y is None else np.asarray(y), len(X), where))


def load_labels(path):
    """Labels from .npy or .csv/.txt (one integer per line)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise QuantlogicError(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".npy":
            return _read_npy_file(path)
        return np.loadtxt(_text(path), delimiter=",", ndmin=1)
    except (ValueError, OSError) as exc:
        raise QuantlogicError(f"{path}: cannot read labels: {exc}") from None


def _read_npy_file(path):
    _check_size(path)
    return read_npy(path.read_bytes(), str(path))


FEATURE_ARRAYS = ("X", "x", "features", "data", "inputs")  # the names an .npz's rows go by, first found wins
LABEL_ARRAYS = ("y", "Y", "labels", "label", "targets", "target")


def _read_npz(path):
    """(X, y or None) of an .npz holding the rows (X, or another usual name, or its only array) and optionally
    the labels (y or another usual name)."""
    with zipfile.ZipFile(path) as archive:
        check_zip_sizes(archive.infolist(), path)
        names = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        rows = next((n for n in FEATURE_ARRAYS if n in names), next(iter(names)) if len(names) == 1 else None)
        if rows is None:
            raise QuantlogicError(f"{path}: an .npz needs its rows in an array named X (found {sorted(names)[:10]})")
        labels = next((n for n in LABEL_ARRAYS if n in names), None)
        X = read_npy(archive.read(names[rows]), f"{path}: {rows}")
        y = read_npy(archive.read(names[labels]), f"{path}: {labels}") if labels else None
    return X, y


def _text(path):
    """The lines of a text data file, which must be UTF-8; a first line that is not numbers (a header of
    column names) is left out."""
    _check_size(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise QuantlogicError(f"{path}: not a text file (expected comma-separated numbers)") from None
    return lines[1:] if lines and not _numeric(lines[0]) else lines


def _numeric(line):
    try:
        [float(field) for field in line.split(",")]
    except ValueError:
        return False
    return True


def _check_size(path):
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise QuantlogicError(f"{path}: {size} bytes, beyond the {MAX_FILE_BYTES} bytes a data file may have")


def _checked_features(X, path, keep_shape=False):
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim > 2 and not keep_shape:
        X = X.reshape(len(X), -1)
    if X.ndim < 2 or X.shape[0] == 0 or X[0].size == 0:
        raise QuantlogicError(f"{path}: features must be a non-empty array of samples (the first dimension), got "
                              f"shape {X.shape}")
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
    if not np.all(np.isfinite(y)) or not np.all(np.equal(np.mod(y, 1), 0)):
        raise QuantlogicError(f"{path}: labels must be integers")
    if len(y) and np.max(np.abs(y.astype(np.float64))) >= MAX_LABEL:
        raise QuantlogicError(f"{path}: labels reach {np.max(np.abs(y.astype(np.float64))):.3g}, beyond 2^31")
    return y.astype(np.int64)
