"""Every checkpoint format reads to the same network; every bad file is one clear error."""
import numpy as np
import pytest
import torch

from conftest import assert_clean_failure, model_path, run_cli
from quantlogic.formats.qnet import load

nn = torch.nn


def wine_module():
    model = nn.Sequential(nn.BatchNorm1d(13), nn.Linear(13, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    model.load_state_dict(torch.load(model_path("wine_bn"), weights_only=True))
    return model.eval()


def write_format(kind, path):
    model = wine_module()
    if kind == "torchscript":
        torch.jit.save(torch.jit.script(model), path)
    elif kind == "export":
        torch.export.save(torch.export.export(model, (torch.randn(4, 13),)), path)
    elif kind == "safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    elif kind == "pickle":
        torch.save(model, path)
    return path


def quantize_cli(checkpoint, out, *extra):
    return run_cli("quantize", checkpoint, "--calib", model_path("wine_bn", "calib.npy"), "-o", out,
                   "--feature-names", model_path("wine_bn", "feature_names.txt"), *extra)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "ref.qnet"
    code, _, err = quantize_cli(model_path("wine_bn"), out)
    assert code == 0, err
    return load(out)


def same_integers(a, b):
    assert np.array_equal(a.thresholds, b.thresholds) and np.array_equal(a.levels, b.levels)
    for (Wa, Ta), (Wb, Tb) in zip(a.hidden, b.hidden, strict=True):
        assert np.array_equal(Wa, Wb) and np.array_equal(Ta, Tb)
    assert np.array_equal(a.out_W, b.out_W) and np.array_equal(a.out_B, b.out_B)


@pytest.mark.parametrize("kind,suffix", [("torchscript", ".pt"), ("export", ".pt2"), ("safetensors", ".safetensors")])
def test_formats_read_to_the_same_network(tmp_path, reference, kind, suffix):
    checkpoint = write_format(kind, tmp_path / f"model{suffix}")
    code, out, err = quantize_cli(checkpoint, tmp_path / "m.qnet")
    assert code == 0, err
    same_integers(load(tmp_path / "m.qnet"), reference)


def test_pickled_module_refused_then_trusted(tmp_path, reference):
    checkpoint = write_format("pickle", tmp_path / "model.pt")
    code, out, err = quantize_cli(checkpoint, tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, "pickled", "state_dict", "--trust-pickle")
    assert not (tmp_path / "m.qnet").exists()
    code, out, err = quantize_cli(checkpoint, tmp_path / "m.qnet", "--trust-pickle")
    assert code == 0, err
    same_integers(load(tmp_path / "m.qnet"), reference)


@pytest.mark.parametrize("layout", [
    lambda sd: {"epoch": 7, "model_state_dict": sd, "optimizer_state_dict": {"state": {}, "param_groups": []},
                "loss": 0.25},  # the PyTorch tutorial's training checkpoint
    lambda sd: {"state_dict": {f"model.{k}": v for k, v in sd.items()}, "epoch": 3},  # Lightning's
    lambda sd: {"step": 100, "ema": {k: v * 0 for k, v in sd.items()}, "model": sd},  # the usual name wins
    lambda sd: {"step": 100, "weights_of_my_net": sd},  # the only dict of tensors
])
def test_a_training_checkpoint_reads_its_model_state(tmp_path, reference, layout):
    torch.save(layout(wine_module().state_dict()), tmp_path / "m.pt")
    code, out, err = quantize_cli(tmp_path / "m.pt", tmp_path / "m.qnet")
    assert code == 0, err
    same_integers(load(tmp_path / "m.qnet"), reference)


def test_a_checkpoint_with_two_unnamed_state_dicts_is_refused_naming_them(tmp_path):
    state = wine_module().state_dict()
    torch.save({"epoch": 1, "student": state, "teacher": state}, tmp_path / "m.pt")
    code, out, err = quantize_cli(tmp_path / "m.pt", tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, "several state_dicts", "student, teacher")
    assert not (tmp_path / "m.qnet").exists()


def test_torchscript_with_unsupported_layer_names_type_and_position(tmp_path):
    model = nn.Sequential(nn.Linear(13, 8), nn.Upsample(scale_factor=1), nn.Linear(8, 3))
    torch.jit.save(torch.jit.script(model), tmp_path / "m.pt")
    code, out, err = quantize_cli(tmp_path / "m.pt", tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, "Upsample", "position 1")
    assert not (tmp_path / "m.qnet").exists()


def test_torchscript_is_read_in_the_order_its_forward_runs_not_its_declaration_order(tmp_path):
    class Swapped(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Linear(8, 3)
            self.a = nn.Linear(13, 8)

        def forward(self, x):
            return self.b(torch.relu(self.a(x)) * 2)

    from quantlogic.app.convert import load_float_network

    torch.manual_seed(0)
    model = Swapped().eval()
    torch.jit.save(torch.jit.script(model), tmp_path / "m.pt")
    X = np.load(model_path("wine_bn", "calib.npy")).astype(np.float64)
    with torch.no_grad():
        want = model(torch.tensor(X, dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(load_float_network(tmp_path / "m.pt", X=X).forward(X)[1], want, atol=1e-3)


def bad_files(tmp_path):
    good = model_path("wine_bn").read_bytes()
    state = torch.load(model_path("wine_bn"), weights_only=True)
    cases = {
        "truncated": ("model.pt", good[: len(good) // 2], "not a readable checkpoint"),
        "not a checkpoint": ("model.pt", b"hello, this is text\n" * 10, "not a readable checkpoint"),
        "truncated safetensors": ("model.safetensors", b"\x10\x00\x00", "safetensors"),
        "truncated pt2": ("model.pt2", good[:100], "pt2"),
    }
    wrong_keys = dict(state)
    wrong_keys["1.kernel"] = wrong_keys.pop("1.weight")
    mismatch = dict(state)
    mismatch["4.weight"] = torch.zeros(3, 15)
    for name, sd, words in (("wrong keys", wrong_keys, "'1'"), ("shape mismatch", mismatch, "shape mismatch"),
                            ("not a dict", [1, 2, 3], "not a model checkpoint")):
        torch.save(sd, tmp_path / "tmp.pt")
        cases[name] = ("model.pt", (tmp_path / "tmp.pt").read_bytes(), words)
    return cases


@pytest.mark.parametrize("case", ["truncated", "not a checkpoint", "truncated safetensors", "truncated pt2",
                                  "wrong keys", "shape mismatch", "not a dict"])
def test_bad_checkpoint_is_one_clear_error(tmp_path, case):
    filename, data, words = bad_files(tmp_path)[case]
    (tmp_path / filename).write_bytes(data)
    code, out, err = quantize_cli(tmp_path / filename, tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, words)
    assert not (tmp_path / "m.qnet").exists()


@pytest.mark.parametrize("args,words", [
    (["--wbits", "0"], "wbits"), (["--ibits", "9"], "ibits"), (["--act", "gelu"], "act"),
])
def test_impossible_settings_are_refused(tmp_path, args, words):
    code, out, err = quantize_cli(model_path("wine_bn"), tmp_path / "m.qnet", *args)
    assert code != 0 and "Traceback" not in err and words in err
    assert not (tmp_path / "m.qnet").exists()
