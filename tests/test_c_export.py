"""The bit-sliced C evaluator (export -o net.c): compiled with cc -O2, it gives the classes predict gives."""
import ctypes
import shutil
import subprocess

import numpy as np
import pytest

from conftest import run_cli
from quantlogic.quant.codes import input_pin

CC = shutil.which("cc") or shutil.which("gcc")


def evaluate_with_c(path, bundle, codes, tmp_path):
    """Classes of input codes (N, F) from the compiled C file: pins packed 64 samples a word (each source
    compiled to its own library: the loader keeps one library per path)."""
    import hashlib

    library = tmp_path / f"lib{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}.so"
    out = subprocess.run([CC, "-O2", "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", str(path), "-o",
                          str(library)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    evaluate = ctypes.CDLL(str(library)).quantlogic_eval
    aig = bundle.aig
    n_words = -(-len(codes) // 64)
    bits = np.zeros((aig.n_inputs, n_words * 64), dtype=np.uint8)
    for k, name in enumerate(aig.input_names):
        feature, bit = (int(p) for p in name[1:].split("_"))
        bits[k, :len(codes)] = (codes[:, feature] >> bit) & 1
    words = np.packbits(bits, axis=1, bitorder="little").view("<u8")
    classes = np.zeros(n_words * 64, dtype=np.int64)
    n_out = len(aig.output_lits)
    for w in range(n_words):
        inputs = np.ascontiguousarray(words[:, w], dtype=np.uint64)
        outputs = np.zeros(n_out, dtype=np.uint64)
        evaluate(inputs.ctypes.data_as(ctypes.c_void_p), outputs.ctypes.data_as(ctypes.c_void_p))
        for j in range(n_out):
            classes[w * 64:(w + 1) * 64] |= ((outputs[j] >> np.arange(64, dtype=np.uint64)) & 1).astype(np.int64) << j
    return classes[:len(codes)]


@pytest.mark.skipif(CC is None, reason="needs a C compiler (cc)")
@pytest.mark.parametrize("name, bits", [("digits_fanin", 2), ("wine_bn", 3)])
def test_c_evaluator_equals_predict_on_random_rows(converted, tmp_path, name, bits):
    bundle = converted[name, bits][0]
    bundle.save(tmp_path / "net.qlc")
    code, out, err = run_cli("export", tmp_path / "net.qlc", "-o", tmp_path / "net.c")
    assert code == 0, err
    text = (tmp_path / "net.c").read_text()
    assert "in[0] = " + input_pin(0, 0) in text and "malloc" not in text
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 2 ** bundle.net.ibits, size=(1000, bundle.net.n_features))
    assert np.array_equal(evaluate_with_c(tmp_path / "net.c", bundle, codes, tmp_path), bundle.net.predict_codes(codes))


@pytest.mark.skipif(CC is None, reason="needs a C compiler (cc)")
def test_c_evaluator_of_generated_circuits_with_constants_and_odd_pins(tmp_path):
    """Random IntNetworks (constant outputs, pins read in any order): the C code equals the IntNetwork."""
    from hypothesis import HealthCheck, given, settings

    from conftest import int_networks
    from quantlogic.formats.bundle import Bundle
    from quantlogic.formats.c_eval import to_c
    from quantlogic.lower.network import lower_network

    @settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(int_networks(max_features=5, max_width=6, max_input_bits=16))
    def check(net):
        low = lower_network(net)
        bundle = Bundle(net, low.aig, low, {})
        (tmp_path / "g.c").write_text(to_c(low.aig))
        codes = np.random.default_rng(0).integers(0, 2 ** net.ibits, size=(300, net.n_features))
        assert np.array_equal(evaluate_with_c(tmp_path / "g.c", bundle, codes, tmp_path), net.predict_codes(codes))

    check()
