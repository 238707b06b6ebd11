import contextlib
import os
import pathlib
import subprocess
import sys
import traceback
import warnings

import numpy as np
import pytest
from hypothesis import strategies as st

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
MODEL_NAMES = ["iris", "digits", "wine_bn", "adder3", "digits_fanin"]


def model_path(name, file="model.pt"):
    return MODELS / name / file


def run_cli(*args, cwd=None):
    """Run the command line in this process, as a fresh one would see it: (exit code, stdout, stderr).
    Python warnings go to stderr under the interpreter's default filters, and an exception that escaped the
    command is its traceback on stderr (so a test that asserts one clean line sees it). In-process because
    a subprocess pays for importing torch and numba on every call; run_cli_process runs the real thing."""
    from click.testing import CliRunner

    from quantlogic.cli import main

    with contextlib.chdir(cwd or os.getcwd()), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        result = CliRunner().invoke(main, [str(a) for a in args])
    err = result.stderr + "".join(warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
                                  for w in caught)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += "".join(traceback.format_exception(*result.exc_info))
    return result.exit_code, result.stdout, err


def run_cli_process(*args, cwd=None):
    """Run the real command line in a subprocess: (exit code, stdout, stderr)."""
    proc = subprocess.run([sys.executable, "-m", "quantlogic", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd)
    return proc.returncode, proc.stdout, proc.stderr


def assert_clean_failure(code, out, err, *words):
    """One clear error line, non-zero exit, no traceback."""
    assert code != 0
    assert "Traceback" not in err and "Traceback" not in out
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])


@pytest.fixture(scope="session")
def quantized_models():
    """IntNetwork and FakeQuant of every bundled model at 3 bits (computed once)."""
    from quantlogic.app.convert import quantize_checkpoint

    return {name: quantize_checkpoint(model_path(name), model_path(name, "calib.npy"), wbits=3, abits=3, ibits=3)
            for name in MODEL_NAMES}


def load_test_split(name):
    with np.load(model_path(name, "test.npz")) as data:
        return data["X"].astype(np.float64), data["y"]


def random_weights(rng, shape, wbits):
    """Random integer rows as quantize makes them: each row in [-2^(wbits-1), 2^(wbits-1) - 1] or its mirror
    image (1 bit: -1, 0 or 1)."""
    if wbits == 1:
        return rng.integers(-1, 2, size=shape)
    W = rng.integers(-2 ** (wbits - 1), 2 ** (wbits - 1), size=shape)
    return W * rng.choice([-1, 1], size=(shape[0], 1))


def random_intnet(rng, n_features, ibits, widths, abits, wbits=3, n_classes=3):
    """A random, valid IntNetwork (uniform input levels) for property tests."""
    from quantlogic.quant.intnet import IntNetwork

    K, M = 2 ** ibits - 1, 2 ** abits - 1
    thresholds = np.sort(rng.normal(size=(n_features, K)), axis=1) + np.arange(K) * 1e-3
    levels = np.tile(np.arange(K + 1), (n_features, 1))
    hidden, width, vmax = [], n_features, K
    for out in widths:
        W = random_weights(rng, (out, width), wbits)
        lo, hi = np.minimum(W * vmax, 0).sum(1), np.maximum(W * vmax, 0).sum(1)
        T = np.sort(rng.integers(lo[:, None], hi[:, None] + 2, size=(out, M)), axis=1)
        hidden.append((W, T))
        width, vmax = out, M
    out_W = random_weights(rng, (1, n_classes * width), wbits).reshape(n_classes, width)
    out_B = rng.integers(-3, 4, size=n_classes)
    return IntNetwork(ibits, abits, wbits, thresholds, levels, hidden, out_W, out_B,
                      [f"f{i}" for i in range(n_features)])


@st.composite
def random_aigs(draw, max_inputs=6, max_ands=40):
    from quantlogic.ir.aig import AIG, FALSE

    aig = AIG()
    lits = [FALSE] + [aig.add_input(f"i{k}") for k in range(draw(st.integers(1, max_inputs)))]
    for _ in range(draw(st.integers(0, max_ands))):
        a, b = draw(st.sampled_from(lits)), draw(st.sampled_from(lits))
        lits.append(aig.and_(a ^ draw(st.integers(0, 1)), b ^ draw(st.integers(0, 1))))
    for k in range(draw(st.integers(1, 4))):
        aig.add_output(f"o{k}", draw(st.sampled_from(lits)) ^ draw(st.integers(0, 1)))
    return aig


@st.composite
def int_networks(draw, max_features=10, max_width=40, max_input_bits=40, min_input_bits=1):
    """Random valid IntNetworks with the awkward cases: every bit width 1-8 (kept small enough to prove
    quickly), uniform and non-uniform (repeating) input levels, zero rows, constant and dead neurons,
    duplicate, unreachable and extreme thresholds, tied logits, 2 or many classes, max-pooled layers (windows
    of 1-4 neurons, repeats allowed)."""
    from quantlogic.quant.intnet import IntNetwork, validate

    ibits = draw(st.integers(max(1, -(-min_input_bits // max_features)), 8))
    n_features = draw(st.integers(max(1, -(-min_input_bits // ibits)), max(1, min(max_features, max_input_bits // ibits))))
    abits, wbits = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    K, M = 2 ** ibits - 1, 2 ** abits - 1
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    thresholds = np.sort(rng.normal(size=(n_features, K)), axis=1)
    if draw(st.booleans()):
        thresholds = np.round(thresholds, 1)  # duplicate thresholds: some codes unreachable from floats
    if draw(st.booleans()):
        steps = rng.integers(0, 3, size=(n_features, K))
        levels = np.concatenate([np.zeros((n_features, 1), dtype=np.int64), np.cumsum(steps, axis=1)], axis=1)
    else:
        levels = np.tile(np.arange(K + 1), (n_features, 1))
    n_hidden = draw(st.integers(1, 3))
    budget = max(1, 64 // abits)  # hidden neurons per layer that keep the circuit small
    hidden, pools, width, vmax = [], [], n_features, levels.max(axis=1)
    for _ in range(n_hidden):
        out = draw(st.integers(1, max(1, min(max_width, budget))))
        density = draw(st.sampled_from([0.0, 0.3, 1.0]))
        W = random_weights(rng, (out, width), wbits) * (rng.random((out, width)) < density)
        lo = np.minimum(W * vmax, 0).sum(1)
        hi = np.maximum(W * vmax, 0).sum(1)
        kind = draw(st.sampled_from(["range", "wide", "extreme"]))
        if kind == "range":
            T = rng.integers(lo[:, None] - 1, hi[:, None] + 2, size=(out, M))
        elif kind == "wide":
            T = rng.integers(lo[:, None] - 10, hi[:, None] + 10, size=(out, M))
        else:
            T = rng.choice(np.array([-2 ** 20, -1, 0, 1, 2 ** 20]), size=(out, M))
        hidden.append((W.astype(np.int64), np.sort(T, axis=1).astype(np.int64)))
        pool = None
        if draw(st.integers(0, 3)) == 0:
            pool = rng.integers(0, out, size=(draw(st.integers(1, out)), draw(st.integers(1, 4)))).astype(np.int64)
        pools.append(pool)
        width = out if pool is None else len(pool)
        vmax = np.full(width, M)
    n_classes = draw(st.sampled_from([2, 3, 5, 10]))
    out_W = random_weights(rng, (1, n_classes * width), wbits).reshape(n_classes, width)
    if draw(st.booleans()):
        out_W[1] = out_W[0]  # tied logits: the smaller index wins
    out_B = rng.integers(-3, 4, size=n_classes)
    net = IntNetwork(ibits, abits, wbits, thresholds, levels, hidden, out_W.astype(np.int64), out_B.astype(np.int64),
                     [f"f{i}" for i in range(n_features)], pools=pools)
    validate(net)
    return net


class ConvertedModels:
    """Bundled models converted once per test process, on first use: (bundle, verdict, summary)."""

    def __init__(self):
        self._cache = {}

    def __getitem__(self, key):
        from quantlogic.app.convert import convert

        if key not in self._cache:
            name, bits = key
            self._cache[key] = convert(model_path(name), model_path(name, "calib.npy"), wbits=bits, abits=bits,
                                       ibits=bits)
        return self._cache[key]


@pytest.fixture(scope="session")
def converted():
    return ConvertedModels()


def truth_table(aig):
    """Every output on every input pattern (2^n rows)."""
    from quantlogic.kernels.simulate import Simulator

    n = aig.n_inputs
    patterns = np.arange(1 << n)
    return Simulator(aig).bits(((patterns[:, None] >> np.arange(n)) & 1).astype(bool))


def node_tables(aig):
    """Every node on every input pattern (2^n rows)."""
    from quantlogic.kernels.simulate import Simulator

    n = aig.n_inputs
    patterns = np.arange(1 << n)
    return Simulator(aig, [2 * v for v in range(aig.n_nodes)]).bits(((patterns[:, None] >> np.arange(n)) & 1) > 0)
