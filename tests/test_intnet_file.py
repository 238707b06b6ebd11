"""The .qnet file: lossless, byte-for-byte deterministic, and clear errors for bad files."""
import json
import zipfile

import numpy as np
import pytest

from conftest import assert_clean_failure, model_path, run_cli
from quantlogic.errors import QuantlogicError
from quantlogic.formats.qnet import load, save


def test_roundtrip_is_lossless_and_deterministic(quantized_models, tmp_path):
    intnet, _ = quantized_models["digits"]
    save(intnet, tmp_path / "a.qnet")
    again = load(tmp_path / "a.qnet")
    save(again, tmp_path / "b.qnet")
    assert (tmp_path / "a.qnet").read_bytes() == (tmp_path / "b.qnet").read_bytes()
    X = np.load(model_path("digits", "calib.npy"))
    assert np.array_equal(again.predict(X), intnet.predict(X))


def test_quantize_twice_gives_identical_files(tmp_path):
    for out in ("a.qnet", "b.qnet"):
        code, _, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"),
                               "-o", tmp_path / out)
        assert code == 0, err
    assert (tmp_path / "a.qnet").read_bytes() == (tmp_path / "b.qnet").read_bytes()


def _rewrite_meta(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "meta.json":
                meta = json.loads(data)
                change(meta)
                data = json.dumps(meta).encode()
            zout.writestr(name, data)


def test_unknown_version_and_corrupt_files(quantized_models, tmp_path):
    intnet, _ = quantized_models["iris"]
    save(intnet, tmp_path / "good.qnet")
    _rewrite_meta(tmp_path / "good.qnet", tmp_path / "v99.qnet", lambda m: m.update(version=99))
    with pytest.raises(QuantlogicError, match="version 99 is not supported"):
        load(tmp_path / "v99.qnet")
    _rewrite_meta(tmp_path / "good.qnet", tmp_path / "layers.qnet", lambda m: m.update(n_hidden=3))
    with pytest.raises(QuantlogicError, match="missing"):
        load(tmp_path / "layers.qnet")
    data = (tmp_path / "good.qnet").read_bytes()
    (tmp_path / "trunc.qnet").write_bytes(data[: len(data) // 2])
    code, out, err = run_cli("predict", tmp_path / "trunc.qnet", model_path("iris", "test.npz"))
    assert_clean_failure(code, out, err, "trunc.qnet")


def test_predict_cli_prints_and_writes(quantized_models, tmp_path):
    intnet, _ = quantized_models["iris"]
    save(intnet, tmp_path / "iris.qnet")
    code, out, err = run_cli("predict", tmp_path / "iris.qnet", model_path("iris", "test.npz"))
    assert code == 0, err
    with np.load(model_path("iris", "test.npz")) as data:
        want = intnet.predict(data["X"])
    assert [int(v) for v in out.split()] == want.tolist()
    code, _, err = run_cli("predict", tmp_path / "iris.qnet", model_path("iris", "test.npz"), "-o", tmp_path / "p.npy")
    assert code == 0 and np.array_equal(np.load(tmp_path / "p.npy"), want)
    code, out, err = run_cli("inspect", tmp_path / "iris.qnet")
    assert code == 0 and "4 -> 16 -> 3" in out and "petal_length: thresholds" in out


def test_help_and_version_do_not_import_torch():
    import subprocess
    import sys

    code = "import sys; from quantlogic.cli import main; sys.argv=['q','--help']\ntry: main()\nexcept SystemExit: pass\n" \
           "assert 'torch' not in sys.modules, 'torch imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_unwritable_output_is_one_clear_error(quantized_models, tmp_path):
    intnet, _ = quantized_models["iris"]
    save(intnet, tmp_path / "iris.qnet")
    code, out, err = run_cli("convert", tmp_path / "iris.qnet", "-o", tmp_path / "missing" / "x.qlc")
    assert_clean_failure(code, out, err, "cannot write")
    assert list(tmp_path.iterdir()) == [tmp_path / "iris.qnet"]
