"""Integer local search: change one integer weight or one bias step of a QuantParams at a time and keep the
change when the exact IntNetwork predicts the target class on more calibration rows. A trial recomputes
only the rows whose codes it changes, so a sweep over every weight costs about one forward per weight
that matters."""
from dataclasses import dataclass, replace

import numpy as np

from .intnet import threshold_codes
from .quantize import build, integer_thresholds
from .schemes import fits


@dataclass(frozen=True)
class SearchLimits:
    sweeps: int = 3  # passes over every weight and bias
    trials: int = 200_000  # trials at most (a count, not a clock: the result stays deterministic)


def search_integers(params, X, target, frozen=None, limits=SearchLimits()):
    """(QuantParams, rows gained): params whose IntNetwork predicts target on at least as many rows of X.
    frozen[k] (optional, per hidden layer) marks weights that stay 0 (a fan-in mask); convolution layers
    keep their weights (every position shares them) and are searched by nothing but later layers."""
    state = _State(params, X, target)
    start, trials = state.correct(), 0
    for _ in range(limits.sweeps):
        gained_before = state.correct()
        for k, layer in enumerate(params.hidden):
            if layer.taps is not None:
                continue
            allowed = None if frozen is None or frozen[k] is None else frozen[k] != 0
            for r, i in np.ndindex(state.W[k].shape):
                if allowed is not None and not allowed[r, i]:
                    continue
                for value in state.alternatives(state.W[k][r], i):
                    trials += 1
                    state.try_hidden_weight(k, r, i, value)
            for r in range(state.W[k].shape[0]):
                for step in (-1, 1):
                    trials += 1
                    state.try_hidden_bias(k, r, step)
        for c, j in np.ndindex(state.out_W.shape):
            for value in state.alternatives(state.out_W[c], j):
                trials += 1
                state.try_output_weight(c, j, value)
        for c in range(len(state.out_bias)):
            for step in (-1, 1):
                trials += 1
                state.try_output_bias(c, step)
        if state.correct() == gained_before or trials >= limits.trials:
            break
    return state.params(), state.correct() - start


class _State:
    """The integer forward of every calibration row, kept per layer so one change is re-run on its rows."""

    def __init__(self, params, X, target):
        self.template, self.target = params, np.asarray(target)
        intnet = build(params)[0]
        self.W = [W.copy() for W, _ in intnet.hidden]
        self.T = [T.copy() for _, T in intnet.hidden]
        self.bias = [layer.bias.astype(np.float64).copy() for layer in params.hidden]
        self.out_W, self.out_bias = intnet.out_W.copy(), params.out_bias.astype(np.float64).copy()
        self.out_B = intnet.out_B.copy()
        self.pools = intnet.pools
        self.wbits = params.wbits
        self.inputs = [np.take_along_axis(params.levels.T, intnet.encode(X), axis=0)]
        self.acc, self.codes = [], []
        for k in range(len(self.W)):
            self.acc.append(self.inputs[k] @ self.W[k].T)
            self.codes.append(threshold_codes(self.acc[k], self.T[k]))
            self.inputs.append(self._pooled(k, self.codes[k]))
        # the largest value of each hidden layer's inputs, as the thresholds are computed for them
        self.vmax = [params.levels[:, -1]] + [np.full(h.shape[1], 2 ** params.abits - 1) for h in self.inputs[1:-1]]
        self.logits = self.inputs[-1] @ self.out_W.T + self.out_B
        self.right = np.argmax(self.logits, axis=1) == self.target

    def correct(self):
        return int(self.right.sum())

    def alternatives(self, row, i):
        """The other values of row[i] to try (every one at 1-2 bits, the neighbours above) that keep the row in
        one orientation of its bit width."""
        value = row[i]
        if self.wbits <= 2:
            candidates = [v for v in ((-1, 1) if self.wbits == 1 else range(-2, 3)) if v != value]
        else:
            candidates = [value - 1, value + 1]
        trial = row.copy()

        def keeps_orientation(v):
            trial[i] = v
            return fits(trial, self.wbits)
        return [v for v in candidates if keeps_orientation(v)]

    def _pooled(self, k, codes):
        return codes if self.pools[k] is None else codes[:, self.pools[k]].max(axis=2)

    def _thresholds(self, k, r, W_row, bias):
        layer = self.template.hidden[k]
        return integer_thresholds(W_row[None, :], layer.scale[r:r + 1], np.array([bias]), layer.clip_lo,
                                   layer.clip_hi, layer.act_lo[r:r + 1], layer.act_scale[r:r + 1],
                                   self.template.abits, self.vmax[k], layer.curve)[0]

    def try_hidden_weight(self, k, r, i, value):
        delta = value - self.W[k][r, i]
        rows = np.flatnonzero(self.inputs[k][:, i])
        W_row = self.W[k][r].copy()
        W_row[i] = value
        T_row = self._thresholds(k, r, W_row, self.bias[k][r])
        if self._try_neuron(k, r, rows, self.acc[k][rows, r] + delta * self.inputs[k][rows, i], T_row,
                            all_rows=not np.array_equal(T_row, self.T[k][r])):
            self.W[k][r, i] = value

    def try_hidden_bias(self, k, r, step):
        """Move neuron r's thresholds by one accumulator unit (its bias by one weight scale)."""
        bias = self.bias[k][r] - step * self.template.hidden[k].scale[r]
        T_row = self._thresholds(k, r, self.W[k][r], bias)
        if not np.array_equal(T_row, self.T[k][r]) and self._try_neuron(
                k, r, np.arange(len(self.target)), self.acc[k][:, r], T_row, all_rows=False):
            self.bias[k][r] = bias

    def _try_neuron(self, k, r, rows, acc_rows, T_row, all_rows):
        """Re-run neuron r of layer k with new sums on rows (or its new thresholds on every row); keep it
        when more rows are right."""
        if all_rows:
            acc_col = self.acc[k][:, r].copy()
            acc_col[rows] = acc_rows
            rows, acc_rows = np.arange(len(self.target)), acc_col
        codes = threshold_codes(acc_rows[:, None], T_row[None, :])[:, 0]
        moved = codes != self.codes[k][rows, r]
        if not moved.any():  # no row moves: no gain, and the change would only alter unseen rows
            return False
        changed = rows[moved]
        layer_codes = self.codes[k][changed].copy()
        layer_codes[:, r] = codes[moved]
        trail = self._forward_from(k, changed, layer_codes)
        right = np.argmax(trail[-1], axis=1) == self.target[changed]
        if right.sum() <= self.right[changed].sum():
            return False
        self.acc[k][rows, r] = acc_rows
        self.T[k][r] = T_row
        self._commit(k, changed, layer_codes, trail, right)
        return True

    def _forward_from(self, k, rows, layer_codes):
        """[(acc, codes) of each later hidden layer ..., logits] on rows, given layer k's codes there."""
        trail, h = [], self._pooled(k, layer_codes)
        for j in range(k + 1, len(self.W)):
            acc = h @ self.W[j].T
            codes = threshold_codes(acc, self.T[j])
            trail.append((acc, codes))
            h = self._pooled(j, codes)
        trail.append(h @ self.out_W.T + self.out_B)
        return trail

    def _commit(self, k, rows, layer_codes, trail, right):
        self.codes[k][rows] = layer_codes
        self.inputs[k + 1][rows] = self._pooled(k, layer_codes)
        for j, (acc, codes) in enumerate(trail[:-1], start=k + 1):
            self.acc[j][rows], self.codes[j][rows] = acc, codes
            self.inputs[j + 1][rows] = self._pooled(j, codes)
        self.logits[rows] = trail[-1]
        self.right[rows] = right

    def try_output_weight(self, c, j, value):
        rows = np.flatnonzero(self.inputs[-1][:, j])
        self._try_logits(rows, c, (value - self.out_W[c, j]) * self.inputs[-1][rows, j],
                         lambda: self.out_W.__setitem__((c, j), value))

    def try_output_bias(self, c, step):
        bias = self.out_bias[c] + step * self.template.out_scale
        B = int(np.round(bias / self.template.out_scale))
        if B == self.out_B[c]:
            return

        def keep():
            self.out_bias[c], self.out_B[c] = bias, B
        self._try_logits(np.arange(len(self.target)), c, B - self.out_B[c], keep)

    def _try_logits(self, rows, c, delta, keep):
        logits = self.logits[rows].copy()
        logits[:, c] += delta
        right = np.argmax(logits, axis=1) == self.target[rows]
        if right.sum() > self.right[rows].sum():
            keep()
            self.logits[rows], self.right[rows] = logits, right

    def params(self):
        hidden = [replace(layer, Wq=W.copy(), bias=b.copy())
                  for layer, W, b in zip(self.template.hidden, self.W, self.bias)]
        return replace(self.template, hidden=hidden, out_Wq=self.out_W.copy(), out_bias=self.out_bias.copy())
