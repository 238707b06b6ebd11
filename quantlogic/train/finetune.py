"""Fine-tuning of post-training quantization into the exact integer semantics (quantization-aware training
from the user's own checkpoint, with nothing but its calibration rows).

The trained model is the IntNetwork's forward with straight-through gradients: fixed input codes and
levels, per-row weight scales with rounded integer weights, each hidden neuron's rounded activation code,
integer logits on one scale. The loss is distillation from the float model's logits (plus cross-entropy
when labels are given); a held-out slice of the calibration rows, scored with the exact IntNetwork that
each epoch's parameters build, picks the epoch kept (epoch 0 is the start, so it never gets worse there).

Two exact local searches frame the training: before it, the input thresholds are placed where the float
network, fed each code's value, agrees best with the target (kept only when that PTQ scores at least as
well); after it, the thresholds and then single integer weights and bias steps of the picked IntNetwork
are changed wherever more calibration rows predict the target. `fanin` first prunes the float network's hidden
neurons gradually down to their most salient inputs while it is distilled from the dense one, then trains the
quantized network with that mask.
"""
from dataclasses import dataclass, replace

import numpy as np

from ..errors import QuantlogicError
from ..quant.quantize import build, encoding_groups, ptq_params
from ..quant.schemes import row_bounds
from ..quant.threshold_search import FirstLayer, refine_thresholds
from ..quant.weight_search import search_integers


PRUNE_SHARE = 0.6  # --fanin: the share of the float recovery's epochs over which the fan-in comes down
PRUNE_EVERY = 5  # epochs between two prunings


@dataclass(frozen=True)
class FinetuneOptions:
    epochs: int = 300
    seed: int = 0
    lr: float = 5e-3
    batch: int = 128  # rows per step at most
    temperature: float = 2.0
    holdout: float = None  # share of the calibration rows held out to pick the epoch; None: 0.2 with labels,
    # else none (distillation is scored on every calibration row: on the bundled models that chose better
    # epochs than a 20 % slice of 13-270 rows, see docs/benchmarks.md)
    patience: int = None  # stop after this many epochs without a better score; None: run the whole cosine
    # schedule (stopping early kept the large steps of its first half: 55 rows fewer over 11 networks)
    fanin: int = None  # at most this many inputs per hidden neuron
    augment: int = 2  # without labels or holdout: noisy copies of each calibration row, labelled by the float
    # model, that training and the epoch choice see too (over 11 networks +9 / +19 test rows at 3/3/3 / 2/2/2)
    noise: float = 0.1  # their Gaussian noise: this share of each feature's standard deviation

    def __post_init__(self):
        if self.epochs < 1:
            raise QuantlogicError(f"--epochs must be at least 1, got {self.epochs}")
        if self.fanin is not None and self.fanin < 1:
            raise QuantlogicError(f"--fanin must be at least 1, got {self.fanin}")
        if self.augment < 0 or not 0 <= self.noise < 10:
            raise QuantlogicError(f"--augment must be 0 or more copies (got {self.augment}) with a noise share "
                                  f"from 0 to 10 (got {self.noise})")
        if self.patience is not None and self.patience < 1:
            raise QuantlogicError(f"patience must be at least 1 epoch, got {self.patience}")
        if self.holdout is not None and not 0 <= self.holdout < 1:
            raise QuantlogicError(f"--holdout must be a share from 0 to below 1, got {self.holdout}")

    def held_out_share(self, labelled):
        """The share of calibration rows held out: as given, else 0.2 with labels and 0 without."""
        return self.holdout if self.holdout is not None else (0.2 if labelled else 0.0)

    def check(self, params):
        """Refuse a fan-in the network's layers cannot have (before training starts)."""
        if self.fanin is not None:
            widths = [layer.Wq.shape[1] for layer in params.hidden if layer.groups is None]
            if not widths:
                raise QuantlogicError("--fanin needs a dense hidden layer to prune (convolutions keep their kernels)")
            if self.fanin > min(widths):
                raise QuantlogicError(f"--fanin {self.fanin} is above the width of a layer's input ({min(widths)})")


def split_rows(n, holdout, seed):
    """(training rows, held-out rows): a seeded permutation; all rows for both when there are too few."""
    order = np.random.default_rng(seed).permutation(n)
    n_held = int(round(n * holdout))
    if n < 20 or n_held < 1:
        return order, order
    return order[n_held:], order[:n_held]


def with_noisy_copies(X, options):
    """X followed by options.augment seeded copies with Gaussian noise of options.noise times each feature's
    standard deviation (the float model labels them: distillation sees the neighbourhood of the rows)."""
    if not options.augment or not options.noise:
        return X
    rng = np.random.default_rng(options.seed)
    spread = X.std(axis=0) * options.noise
    return np.concatenate([X] + [X + rng.normal(size=X.shape) * spread for _ in range(options.augment)])


def finetune(net, params, X, y=None, options=FinetuneOptions(), progress=None, method="mse"):
    """(fine-tuned QuantParams, report dict) for FloatNetwork net, PTQ params and calibration rows X
    (labels y optional). progress(epoch, epochs, loss, score) is called after each epoch."""
    import torch

    options.check(params)
    if y is not None:
        y = np.asarray(y)
        if len(y) != len(X):
            raise QuantlogicError(f"{len(y)} labels for {len(X)} calibration rows")
        if y.min() < 0 or y.max() >= net.n_classes:
            raise QuantlogicError(f"labels must be class indices 0..{net.n_classes - 1}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same sums in the same order: byte-identical results on any machine
    try:
        return _train(torch, net, params, np.asarray(X, dtype=np.float64), y, options, progress, method)
    finally:
        torch.set_num_threads(threads)


def _score(params, X, target, teacher, temperature):
    """(share of rows where the exact IntNetwork predicts target, minus its distillation loss): ordered
    pairs, so the loss only breaks ties between equal scores."""
    intnet, _ = build(params)
    logits = intnet.forward_codes(intnet.encode(X))[1] * params.out_scale
    return float(np.mean(np.argmax(logits, axis=1) == target)), -_distillation(logits, teacher, temperature)


def _distillation(logits, teacher, T):
    return float(np.mean(_row_distillation(logits, teacher, T)))


def _row_distillation(logits, teacher, T):
    """Each row's KL divergence of the softened logits from the softened teacher's, times T^2."""
    def log_softmax(z):
        z = z / T - np.max(z / T, axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    p = np.exp(log_softmax(teacher))
    return (p * (log_softmax(teacher) - log_softmax(logits))).sum(axis=1) * T * T


def _train(torch, net, params, X, y, options, progress, method):
    torch.manual_seed(options.seed)
    real, holdout = len(X), options.held_out_share(y is not None)
    if y is None and not holdout:  # a held-out slice would see noisy copies of the rows trained on
        X = with_noisy_copies(X, options)
    teacher = net.forward(X)[1]
    train_rows, held_rows = split_rows(len(X), holdout, options.seed)
    target = y if y is not None else np.argmax(teacher, axis=1)
    held = (X[held_rows], target[held_rows], teacher[held_rows], options.temperature)
    fit_rows = train_rows[train_rows < real]  # the exact searches fit the real rows only
    fit = (X[fit_rows], target[fit_rows], teacher[fit_rows], options.temperature)
    ptq_score = _score(params, *held)
    report = {"ptq_holdout_score": ptq_score[0], "noisy_rows": len(X) - real, "holdout_rows": len(held_rows),
              "holdout": holdout, "score_kind": "accuracy" if y is not None else "agreement with the float model"}
    if not options.fanin and ptq_score[0] == 1.0:  # no epoch can score better: keep PTQ, skip the training
        return params, {**report, "kept_ptq": True, "holdout_score": 1.0, "searched_inputs": False,
                        "epochs_run": 0, "best_epoch": 0}
    _stage(progress, "place input thresholds", options.epochs)
    searched = _searched_inputs(net, params, method, *fit)
    start = searched if _score(searched, *held) >= ptq_score else params
    V = np.take_along_axis(start.levels.T, build(start)[0].encode(X), axis=0)  # the first layer's integer inputs
    masks = [None] * len(params.hidden)
    report["searched_inputs"] = start is searched
    if options.fanin:
        _stage(progress, "prune the float network", options.epochs)
        sparse, masks = _pruned_float(torch, net, fit[0], fit[2], options)
        start = _masked(ptq_params(sparse, X, params.wbits, params.abits, params.ibits, method,
                                   encoding=(start.thresholds, start.levels, start.in_scale, start.in_offset)), masks)
    model = _Model(torch, start, masks)
    report["start_holdout_score"] = _score(start, *held)[0]
    _stage(progress, "train", options.epochs)
    best, best_score, report["best_epoch"], report["epochs_run"] = _epochs(
        torch, model, start, V, teacher, y, train_rows, held, options, progress)
    _stage(progress, "search thresholds and integer weights", options.epochs)
    gains = {}
    for name, polish in (("thresholds", lambda p: _polished_inputs(p, net, *fit)),
                         ("integers", lambda p: search_integers(p, *fit[:2], masks)[0])):
        polished = polish(best)
        score = _score(polished, *held)
        gains[name] = int(round((score[0] - best_score[0]) * len(held_rows)))
        if score >= best_score:
            best, best_score = polished, score
    if not options.fanin and best_score[0] <= ptq_score[0]:  # a refinement, not a change for its own sake
        best, best_score, report["kept_ptq"] = params, ptq_score, True
    report.update(holdout_score=best_score[0], rows_gained_by_thresholds=max(gains["thresholds"], 0),
                  rows_gained_by_integers=max(gains["integers"], 0))
    return best, report


def _stage(progress, name, epochs):
    if progress is not None and hasattr(progress, "stage"):
        progress.stage(name, epochs)


def _epochs(torch, model, start, V, teacher, y, train_rows, held, options, progress):
    """(best QuantParams, its score, its epoch, epochs run) of training model from start (epoch 0)."""
    best, best_score, best_epoch = start, _score(start, *held), 0
    opt = torch.optim.Adam(model.param_groups(options.lr), lr=options.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, options.epochs)
    Vt, teacher_t = _float32(torch, V), _float32(torch, teacher)
    labels_t = None if y is None else torch.tensor(y, dtype=torch.long)
    gen = torch.Generator().manual_seed(options.seed)
    train_t = torch.tensor(train_rows, dtype=torch.long)
    for epoch in range(1, options.epochs + 1):
        total = _epoch(torch, opt, model, Vt, teacher_t, labels_t, train_t, gen, options)
        schedule.step()
        current = model.params(start)
        score = _score(current, *held)
        if score > best_score:
            best, best_score, best_epoch = current, score, epoch
        if progress:
            progress(epoch, options.epochs, total / len(train_rows), score[0])
        if options.patience is not None and epoch - best_epoch >= options.patience:
            break
    return best, best_score, best_epoch, epoch


def _epoch(torch, opt, forward, inputs, teacher, labels, rows, gen, options):
    """One optimizer pass over rows in seeded random batches; the loss is distillation from the teacher's
    logits (plus cross-entropy with labels). Returns the summed loss."""
    T, total = options.temperature, 0.0
    batch = max(8, min(options.batch, len(rows) // 8))  # small calibration sets still take several steps
    for chunk in rows[torch.randperm(len(rows), generator=gen)].split(batch):
        logits = forward(inputs[chunk])
        loss = torch.nn.functional.kl_div(torch.log_softmax(logits / T, 1), torch.softmax(teacher[chunk] / T, 1),
                                          reduction="batchmean") * T * T
        if labels is not None:
            loss = loss + torch.nn.functional.cross_entropy(logits, labels[chunk])
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(chunk)
    return total


def _float32(torch, a):
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float32)


def _agreement(target, teacher=None, T=None, scale=1.0):
    """score(logits, rows) for the threshold search: per row, 1 where it predicts target, then (with a
    teacher) minus its distillation loss to break ties."""
    def score(logits, rows):
        right = np.argmax(logits, axis=1) == target[rows]
        if teacher is None:
            return right[:, None]
        return np.stack([right, -_row_distillation(logits * scale, teacher[rows], T)], axis=1)
    return score


def _searched_inputs(net, params, method, X, target, teacher, T):
    """PTQ params re-made on input thresholds searched so the float network, fed each code's value,
    predicts target on rows X."""
    values = params.in_offset[:, None] + params.in_scale[:, None] * params.levels
    first = (net.hidden + [net.output])[0]
    thresholds = refine_thresholds(X, params.thresholds, values, encoding_groups(net, X.shape[1]),
                                   FirstLayer(first.W, net.logits_after_first), _agreement(target, teacher, T))
    return ptq_params(net, X, params.wbits, params.abits, params.ibits, method,
                      encoding=(thresholds, params.levels, params.in_scale, params.in_offset))


def _polished_inputs(params, net, X, target, *_):
    """params with input thresholds searched on the exact IntNetwork they build (weights kept), moved only
    where more rows predict target (a lower loss alone does not move them: on the bundled models that
    fitted the calibration rows and lost test rows)."""
    intnet = build(params)[0]
    W = intnet.hidden[0][0] if intnet.hidden else intnet.out_W
    thresholds = refine_thresholds(X, params.thresholds, params.levels, encoding_groups(net, X.shape[1]),
                                   FirstLayer(W, intnet.logits_after_first), _agreement(target))
    return replace(params, thresholds=thresholds)


def _pruned_float(torch, net, X, teacher, options):
    """(the FloatNetwork net pruned to options.fanin inputs per dense hidden neuron and distilled from teacher on
    rows X, its 0/1 masks per hidden layer (None for a convolution: its kernel is shared by every position)).
    Gradual magnitude pruning: every PRUNE_EVERY epochs of the first PRUNE_SHARE of training, each neuron keeps
    its inputs of largest |w| x std(input), as many as a cubic schedule from the layer's width down to fanin
    allows; the network recovers in between and after. A dense first layer trains on standardized inputs (Adam's
    steps would be huge for the weights of a feature in the thousands: such a network died in its first epoch)."""
    layers = net.hidden + [net.output]
    mean, std = np.zeros(X.shape[1]), np.ones(X.shape[1])
    if layers[0].taps is None:  # (a convolution's kernel entries stay equal at every position)
        mean, std = X.mean(axis=0), np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    X = (X - mean) / std
    layers[0] = replace(layers[0], W=layers[0].W * std, b=layers[0].b + layers[0].W @ mean)
    W = [_float32(torch, layer.W) for layer in layers]
    b = [_float32(torch, layer.b) for layer in layers]
    masks = [None if layer.taps is not None else torch.ones_like(w) for layer, w in zip(net.hidden, W)]
    learned = [v.requires_grad_() for layer, w, bias in zip(layers, W, b) if layer.taps is None  # kernels stay shared
               for v in (w, bias)]
    opt = torch.optim.Adam(learned, lr=options.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, options.epochs)
    gen = torch.Generator().manual_seed(options.seed)

    def forward(h, inputs=None):
        for k, layer in enumerate(net.hidden):
            if inputs is not None:
                inputs.append(h)
            w = W[k] if masks[k] is None else W[k] * masks[k]
            h = torch.clamp(layer.curve.torch(torch, h @ w.T + b[k]), min=layer.lo, max=layer.hi)
            if layer.pool is not None:
                h = h[:, torch.as_tensor(layer.pool)].amax(dim=2)
        return h @ W[-1].T + b[-1]

    rows, Xt, teacher_t = torch.arange(len(X)), _float32(torch, X), _float32(torch, teacher)
    last = int((options.epochs - 1) * PRUNE_SHARE)  # the epoch from which the fan-in is options.fanin
    for epoch in range(options.epochs):
        if epoch <= last and (epoch % PRUNE_EVERY == 0 or epoch == last):
            with torch.no_grad():
                inputs, progress = [], epoch / last if last else 1.0
                forward(Xt, inputs)
                masks = [m if m is None else _kept(torch, W[k] * m, inputs[k], options.fanin, progress)
                         for k, m in enumerate(masks)]
        _epoch(torch, opt, forward, Xt, teacher_t, None, rows, gen, options)
        schedule.step()
    with torch.no_grad():
        trained = [replace(layer, W=(w if m is None else w * m).detach().numpy().astype(np.float64),
                           b=bias.detach().numpy().astype(np.float64))
                   for layer, w, bias, m in zip(layers, W, b, masks + [None])]
    first = trained[0].W / std
    trained[0] = replace(trained[0], W=first, b=trained[0].b - first @ mean)
    return (replace(net, hidden=trained[:-1], output=trained[-1]),
            [None if m is None else m.numpy().astype(np.float64) for m in masks])


def _kept(torch, W, inputs, fanin, progress):
    """The 0/1 mask of each row's inputs of largest |w| x std(input) (ties to the lower index), as many as the
    cubic schedule allows at progress (0: all, 1: fanin)."""
    width = W.shape[1]
    keep = int(round(fanin + (width - fanin) * (1 - progress) ** 3))
    score = W.abs() * (torch.std(inputs, dim=0, correction=0) + 1e-12)[None, :]
    mask = torch.zeros_like(W)
    mask.scatter_(1, torch.argsort(-score, dim=1, stable=True)[:, :keep], 1.0)
    return mask


def _masked(params, masks):
    return replace(params, hidden=[layer if m is None else replace(layer, Wq=(layer.Wq * m).astype(np.int64))
                                   for layer, m in zip(params.hidden, masks)])


def _ste_round(torch, x):
    return x + (torch.round(x) - x).detach()


class _Model:
    """The IntNetwork's forward on integer level inputs, differentiable by straight-through rounding. A
    convolution trains its kernel, one scale, bias and step per channel, so every position stays alike."""

    def __init__(self, torch, params, masks):
        self.torch, self.wbits, self.abits = torch, params.wbits, params.abits
        t = lambda a: _float32(torch, a)  # noqa: E731
        self.layers = []
        for layer, mask in zip(params.hidden, masks):
            W = layer.Wq * layer.scale[:, None]
            tied = _Tying(torch, layer)
            self.layers.append({
                "W": t(tied.kernel(W)).requires_grad_(), "s": t(tied.shared(layer.scale)).requires_grad_(),
                "b": t(tied.shared(layer.bias)).requires_grad_(), "mask": None if mask is None else t(mask),
                "lo": t(layer.act_lo), "step": t(tied.shared(layer.act_scale)).requires_grad_(),
                "clip": (layer.clip_lo, layer.clip_hi), "curve": layer.curve, "tied": tied,
                "bounds": self._bounds(layer.Wq, layer.groups),
                "pool": None if layer.pool is None else torch.as_tensor(layer.pool)})
        self.out = {"W": t(params.out_Wq * params.out_scale).requires_grad_(),
                    "s": t([params.out_scale]).requires_grad_(), "b": t(params.out_bias).requires_grad_(),
                    "bounds": self._bounds(params.out_Wq, None)}

    def _bounds(self, Wq, groups):
        """(lo, hi) columns of each row's integers: the orientation PTQ chose stays."""
        lo, hi = row_bounds(Wq, self.wbits, groups)
        return _float32(self.torch, lo)[:, None], _float32(self.torch, hi)[:, None]

    def param_groups(self, lr):
        """Adam groups: weights and biases at lr; each scale and activation step at lr times its own mean
        size (a fixed step would be huge for the small scales of 6-8 bits: the network died there)."""
        def relative(t):
            return {"params": [t], "lr": lr * (float(t.detach().abs().mean()) + 1e-12)}
        groups = []
        for layer in self.layers:
            groups += [{"params": [layer["W"], layer["b"]]}, relative(layer["s"]), relative(layer["step"])]
        return groups + [{"params": [self.out["W"], self.out["b"]]}, relative(self.out["s"])]

    def _weights(self, W, s, bounds, mask=None):
        torch = self.torch
        s = torch.clamp(s, min=1e-8)
        w = W / (s[:, None] if s.dim() else s)
        if self.wbits == 1:
            w = torch.clamp(w, -1, 1)
            q = w + (torch.where(W >= 0, 1.0, -1.0) - w).detach()
        else:
            q = _ste_round(torch, torch.clamp(w, bounds[0], bounds[1]))
        return q if mask is None else q * mask

    def _layer_weights(self, layer):
        """(integer weights per row, scale, bias and step per row) of a hidden layer."""
        tied = layer["tied"]
        s = tied.rows(layer["s"])
        return (tied.connect(self._weights(tied.rows_of_kernel(layer["W"]), s, layer["bounds"], layer["mask"])), s,
                tied.rows(layer["b"]), tied.rows(layer["step"]))

    def __call__(self, h):
        torch = self.torch
        M = 2 ** self.abits - 1
        for layer in self.layers:
            q, s, b, step = self._layer_weights(layer)
            z = (h @ q.T) * torch.clamp(s, min=1e-8) + b
            f = torch.clamp(layer["curve"].torch(torch, z), min=layer["clip"][0], max=layer["clip"][1])
            h = torch.clamp(_ste_round(torch, (f - layer["lo"]) / torch.clamp(step, min=1e-8)), 0, M)
            if layer["pool"] is not None:
                h = h[:, layer["pool"]].amax(dim=2)
        s = torch.clamp(self.out["s"], min=1e-8)
        q = self._weights(self.out["W"], s[0], self.out["bounds"])
        return (h @ q.T) * s[0] + self.out["b"]

    def params(self, template):
        """The QuantParams the current weights give (integers rounded as the forward rounds them)."""
        with self.torch.no_grad():
            hidden = []
            for layer, old in zip(self.layers, template.hidden):
                q, s, b, step = (v.numpy() for v in self._layer_weights(layer))
                hidden.append(replace(old, Wq=q.astype(np.int64), scale=np.maximum(s.astype(np.float64), 1e-8),
                                      bias=b.astype(np.float64), act_scale=np.maximum(step.astype(np.float64), 1e-8)))
            s = float(max(self.out["s"].numpy()[0], 1e-8))
            q = self._weights(self.out["W"], self.torch.tensor(s), self.out["bounds"]).numpy().astype(np.int64)
            return replace(template, hidden=hidden, out_Wq=q, out_scale=s,
                           out_bias=self.out["b"].numpy().astype(np.float64))


class _Tying:
    """How a layer's trained values map to its rows: one each for a dense layer; for a convolution a
    kernel entry per tap and one value per channel (group)."""

    def __init__(self, torch, layer):
        self.torch = torch
        self.taps = None if layer.taps is None else torch.as_tensor(np.maximum(layer.taps, 0))
        self.on = None if layer.taps is None else torch.as_tensor(layer.taps >= 0, dtype=torch.float32)
        self.groups = None if layer.taps is None else torch.as_tensor(layer.groups)
        self.np_taps, self.np_groups = layer.taps, layer.groups

    def kernel(self, W):
        """The trained weights: W itself, or one value per kernel entry (equal at every position)."""
        if self.np_taps is None:
            return W
        kernel = np.zeros(self.np_taps.max() + 1)
        on = self.np_taps >= 0
        kernel[self.np_taps[on]] = W[on]
        return kernel

    def shared(self, per_row):
        """A per-row vector as trained: itself, or its mean per channel."""
        if self.np_taps is None:
            return per_row
        return np.bincount(self.np_groups, per_row) / np.bincount(self.np_groups)

    def rows(self, values):
        return values if self.groups is None else values[self.groups]

    def rows_of_kernel(self, W):
        return W if self.taps is None else W[self.taps] * self.on

    def connect(self, q):
        return q if self.on is None else q * self.on
