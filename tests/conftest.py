import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import strategies as st

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
MODEL_NAMES = ["iris", "digits", "wine_bn", "adder3", "digits_fanin"]


def model_path(name, file="model.pt"):
    return MODELS / name / file


def run_cli(*args, cwd=None):
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
    from quantlogic.pipeline import quantize_checkpoint

    return {name: quantize_checkpoint(model_path(name), model_path(name, "calib.npy"), wbits=3, abits=3, ibits=3)
            for name in MODEL_NAMES}


def load_test_split(name):
    with np.load(model_path(name, "test.npz")) as data:
        return data["X"].astype(np.float64), data["y"]


def random_intnet(rng, n_features, ibits, widths, abits, wbits=3, n_classes=3):
    """A random, valid IntNetwork (uniform input levels) for property tests."""
    from quantlogic.quant.intnet import IntNetwork

    K, M, q = 2 ** ibits - 1, 2 ** abits - 1, max(1, 2 ** (wbits - 1) - 1)
    thresholds = np.sort(rng.normal(size=(n_features, K)), axis=1) + np.arange(K) * 1e-3
    levels = np.tile(np.arange(K + 1), (n_features, 1))
    hidden, width, vmax = [], n_features, K
    for out in widths:
        W = rng.integers(-q, q + 1, size=(out, width))
        lo, hi = np.minimum(W * vmax, 0).sum(1), np.maximum(W * vmax, 0).sum(1)
        T = np.sort(rng.integers(lo[:, None], hi[:, None] + 2, size=(out, M)), axis=1)
        hidden.append((W, T))
        width, vmax = out, M
    out_W = rng.integers(-q, q + 1, size=(n_classes, width))
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
