"""Task-aware input thresholds: move each feature's thresholds to where the network's predictions on the
calibration rows agree best with a target (ties broken by a loss), one threshold at a time."""
from dataclasses import dataclass

import numpy as np

from .codes import encode_column


@dataclass(frozen=True)
class FirstLayer:
    """A network seen from its input values: pre-activations z = values @ W.T feed rest(z) -> logits."""
    W: np.ndarray  # (out, F)
    rest: object  # callable: z (N, out) -> logits (N, classes)


def refine_thresholds(X, thresholds, values, groups, layer, score, sweeps=3, candidates=32):
    """Thresholds (F, K) improved by coordinate search: for each group of columns sharing an encoding
    (groups: list of column-index arrays) and each of its thresholds, try up to `candidates` cut points
    between the neighbouring thresholds (midpoints of the group's distinct values) and keep the best total
    score. score(logits, rows) gives per-row criteria (len(rows), m) for those rows of X; totals compare
    column by column (the first decides, the next breaks ties), higher is better. values (F, K + 1) is
    each code's input value. A trial re-runs only the rows whose codes it changes. Deterministic; stops
    after `sweeps` passes or a pass that changes nothing."""
    thresholds = np.array(thresholds, dtype=np.float64)
    V = _values(X, thresholds, values)
    z = V @ layer.W.T
    every = np.arange(len(X))
    per_row = np.asarray(score(layer.rest(z), every), dtype=np.float64)
    total = per_row.sum(axis=0)
    for _ in range(sweeps):
        changed = False
        for cols in groups:
            cols = np.asarray(cols)
            column = X[:, cols]
            distinct = np.unique(column)
            cuts = (distinct[:-1] + distinct[1:]) / 2
            for k in range(thresholds.shape[1]):
                lo = thresholds[cols[0], k - 1] if k > 0 else -np.inf
                hi = thresholds[cols[0], k + 1] if k + 1 < thresholds.shape[1] else np.inf
                for cut in _spread(cuts[(cuts > lo) & (cuts < hi)], candidates):
                    trial = thresholds[cols[0]].copy()
                    trial[k] = cut
                    new = values[cols[0]][encode_column(column.ravel(), trial).reshape(column.shape)]
                    rows = np.flatnonzero(np.any(new != V[:, cols], axis=1))
                    if not len(rows):
                        continue
                    z_rows = z[rows] + (new[rows] - V[rows][:, cols]) @ layer.W[:, cols].T
                    rows_score = np.asarray(score(layer.rest(z_rows), rows), dtype=np.float64)
                    trial_total = total - per_row[rows].sum(axis=0) + rows_score.sum(axis=0)
                    if tuple(trial_total) > tuple(total):
                        total, changed = trial_total, True
                        z[rows], per_row[rows] = z_rows, rows_score
                        V[:, cols] = new
                        thresholds[cols, k] = cut
        if not changed:
            break
    return thresholds


def _values(X, thresholds, values):
    codes = np.stack([encode_column(X[:, i], thresholds[i]) for i in range(X.shape[1])], axis=1)
    return np.take_along_axis(np.asarray(values, dtype=np.float64).T, codes, axis=0)


def _spread(cuts, n):
    """At most n of the sorted cuts, evenly spread."""
    if len(cuts) <= n:
        return cuts
    return cuts[np.linspace(0, len(cuts) - 1, n).round().astype(np.int64)]
