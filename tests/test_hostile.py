"""Hostile files: no code runs from a checkpoint without --trust-pickle, names cannot become code, and a
malformed file gets one clean line. A successful attack would create a marker file."""
import json
import os
import zipfile

import numpy as np
import pytest

from conftest import assert_clean_failure, model_path, run_cli


class _Attack:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def exported(tmp_path):
    import torch

    m = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    torch.export.save(torch.export.export(m, (torch.randn(2, 4),)), tmp_path / "m.pt2")
    np.save(tmp_path / "calib.npy", np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32))
    return tmp_path / "m.pt2"


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, change(item.filename, zin.read(item.filename)))


def test_pt2_sample_inputs_pickle_runs_no_code(exported, tmp_path):
    import torch

    marker = tmp_path / "pwned"
    payload = tmp_path / "payload.pt"
    torch.save(_Attack(marker), payload, _use_new_zipfile_serialization=True)
    _rewrite(exported, tmp_path / "evil.pt2",
             lambda name, data: payload.read_bytes() if "/data/sample_inputs/" in name else data)
    code, out, err = run_cli("quantize", tmp_path / "evil.pt2", "--calib", tmp_path / "calib.npy", "-o",
                             tmp_path / "x.qnet")
    assert_clean_failure(code, out, err, "pickled code")
    assert not marker.exists() and not (tmp_path / "x.qnet").exists()
    run_cli("quantize", tmp_path / "evil.pt2", "--calib", tmp_path / "calib.npy", "-o", tmp_path / "y.qnet",
            "--trust-pickle")
    assert marker.exists()  # the payload is live: only the user's explicit trust lets it run


def test_pt2_pickled_weight_is_refused(exported, tmp_path):
    def change(name, data):
        if name.endswith("model_weights_config.json"):
            config = json.loads(data)
            next(iter(config["config"].values()))["use_pickle"] = True
            return json.dumps(config).encode()
        return data

    _rewrite(exported, tmp_path / "evil.pt2", change)
    code, out, err = run_cli("quantize", tmp_path / "evil.pt2", "--calib", tmp_path / "calib.npy", "-o",
                             tmp_path / "x.qnet")
    assert_clean_failure(code, out, err, "is pickled")
    assert not (tmp_path / "x.qnet").exists()


def test_the_plain_pt2_still_reads(exported, tmp_path):
    code, out, err = run_cli("quantize", exported, "--calib", tmp_path / "calib.npy", "-o", tmp_path / "x.qnet")
    assert code == 0, err


@pytest.mark.parametrize("name", ['a"""', "b\nimport os", "c\\", "x" * 65, "é", "  spaced"])
def test_feature_names_that_could_become_code_are_refused(tmp_path, name):
    names = (model_path("iris", "feature_names.txt").read_text().split("\n")[:3]) + [name]
    (tmp_path / "names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "x.qnet", "--feature-names", tmp_path / "names.txt")
    if name == "  spaced":  # surrounding spaces are trimmed, not refused
        assert code == 0, err
        return
    assert_clean_failure(code, out, err, "not allowed" if name not in ("b\nimport os",) else "names")
    assert not (tmp_path / "x.qnet").exists()


def test_binary_feature_names_file_is_one_line(tmp_path):
    (tmp_path / "names.txt").write_bytes(b"\xff\xfe\x00bad")
    code, out, err = run_cli("quantize", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o",
                             tmp_path / "x.qnet", "--feature-names", tmp_path / "names.txt")
    assert_clean_failure(code, out, err, "cannot read feature names")


def test_names_in_a_bundle_or_qnet_are_checked(converted, tmp_path):
    """A bundle whose feature or output pin names were edited to carry code is refused before export."""
    bundle = converted["iris", 2][0]
    bundle.save(tmp_path / "good.qlc")

    def edit(key, value):
        def change(name, data):
            if name == "meta.json":
                meta = json.loads(data)
                if key == "feature":
                    meta["net"]["feature_names"][0] = value
                else:
                    meta["outputs"][0] = value
                return json.dumps(meta).encode()
            return data
        return change

    cases = (("feature", 'x"""\n__import__("os")'), ("output", "y_0; initial $fopen(\"pwned\")"))
    for key, value in cases:
        _rewrite(tmp_path / "good.qlc", tmp_path / f"{key}.qlc", edit(key, value))
        for fmt in ("v", "py"):
            out_path = tmp_path / f"{key}.{fmt}"
            args = ("export", tmp_path / f"{key}.qlc", "-o", out_path) if fmt == "v" else \
                ("tree", tmp_path / f"{key}.qlc", "-o", out_path)
            code, out, err = run_cli(*args)
            assert_clean_failure(code, out, err, "not allowed" if key == "feature" else "output pins")
            assert not out_path.exists()


@pytest.mark.parametrize("top", ["[]", "null", "3", '"text"', '{"format": "quantlogic-diagram"}'])
def test_tree_json_of_any_shape_is_one_line(tmp_path, top):
    (tmp_path / "t.json").write_text(top)
    np.save(tmp_path / "x.npy", np.zeros((2, 4)))
    code, out, err = run_cli("predict", tmp_path / "t.json", tmp_path / "x.npy")
    assert code != 0 and "Traceback" not in err and len(err.strip().splitlines()) == 1


# ---- fuzzing the readers: any exception but the tool's own error is a failure ----
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

FUZZ = settings(max_examples=int(os.environ.get("QL_FUZZ_EXAMPLES", "120")), deadline=None,
                suppress_health_check=list(HealthCheck), derandomize=True)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12)


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory, converted):
    from quantlogic.lower.to_tree import network_diagram
    from quantlogic.export.tree import to_json

    folder = tmp_path_factory.mktemp("valid")
    bundle = converted["iris", 2][0]
    bundle.save(folder / "m.qlc")
    bundle.net.save(folder / "m.qnet")
    (folder / "t.json").write_text(to_json(network_diagram(bundle.net, 28, 100_000)))
    return {kind: (folder / f"m.{kind}").read_bytes() for kind in ("qlc", "qnet")} | \
        {"json": (folder / "t.json").read_bytes()}


def _open_quietly(path):
    from quantlogic.artifacts import open_artifact
    from quantlogic.errors import QuantlogicError

    try:
        artifact = open_artifact(path)
        artifact.describe()
    except QuantlogicError:
        pass


def _zip_members(data):
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _zip_of(members):
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@FUZZ
@given(kind=st.sampled_from(["qlc", "qnet", "json"]), edits=st.lists(st.tuples(st.integers(0, 10 ** 9),
                                                                             st.integers(0, 255)), max_size=6),
       cut=st.none() | st.integers(0, 10 ** 9))
def test_fuzz_bytes(valid_files, tmp_path_factory, kind, edits, cut):
    data = bytearray(valid_files[kind])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    path = tmp_path_factory.mktemp("fuzz") / f"x.{kind}"
    path.write_bytes(bytes(data))
    _open_quietly(path)


@FUZZ
@given(kind=st.sampled_from(["qlc", "qnet"]), path_choice=st.integers(0, 10 ** 6), value=JSON)
def test_fuzz_meta(valid_files, tmp_path_factory, kind, path_choice, value):
    """One field of meta.json (at any depth) replaced by random JSON."""
    members = _zip_members(valid_files[kind])
    meta = json.loads(members["meta.json"])
    slots = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            slots.append((node, key))
            walk(child)

    walk(meta)
    node, key = slots[path_choice % len(slots)]
    node[key] = value
    members["meta.json"] = json.dumps(meta).encode()
    path = tmp_path_factory.mktemp("fuzz") / f"x.{kind}"
    path.write_bytes(_zip_of(members))
    _open_quietly(path)


@FUZZ
@given(kind=st.sampled_from(["qlc", "qnet"]), index=st.integers(0, 100),
       shape=st.lists(st.integers(0, 3), max_size=3), dtype=st.sampled_from(["int64", "float64", "bool", "int8"]),
       fill=st.sampled_from([0, 1, -1, 2 ** 60, 0.5]))
def test_fuzz_arrays(valid_files, tmp_path_factory, kind, index, shape, dtype, fill):
    """One array replaced by an array of another shape, dtype or range."""
    import io

    members = _zip_members(valid_files[kind])
    names = sorted(n for n in members if n.endswith(".npy"))
    buffer = io.BytesIO()
    np.save(buffer, np.full(shape, fill).astype(dtype) if dtype != "bool" else np.zeros(shape, dtype=bool))
    members[names[index % len(names)]] = buffer.getvalue()
    path = tmp_path_factory.mktemp("fuzz") / f"x.{kind}"
    path.write_bytes(_zip_of(members))
    _open_quietly(path)


def test_declared_sizes_are_bounded_before_work(valid_files, tmp_path):
    members = _zip_members(valid_files["qnet"])
    meta = json.loads(members["meta.json"])
    meta["n_hidden"] = 10 ** 8
    members["meta.json"] = json.dumps(meta).encode()
    (tmp_path / "big.qnet").write_bytes(_zip_of(members))
    code, out, err = run_cli("inspect", tmp_path / "big.qnet")
    assert_clean_failure(code, out, err, "hidden layers declared")
    members = _zip_members(valid_files["qnet"])
    members["junk.npy"] = b"\0" * (64 << 20)  # 64 MB of zeros deflate to a few KB: refused unread
    (tmp_path / "bomb.qnet").write_bytes(_zip_of(members))
    code, out, err = run_cli("inspect", tmp_path / "bomb.qnet")
    assert_clean_failure(code, out, err, "declares")


def test_tree_of_a_wide_eight_bit_neuron_is_refused_before_the_work(tmp_path):
    """An 8-bit neuron with many inputs: the partial sums are bounded before they are enumerated."""
    from quantlogic.quant.intnet import IntNetwork

    rng = np.random.default_rng(0)
    F = 24
    W = rng.integers(-127, 128, size=(1, F))
    net = IntNetwork(8, 1, 8, np.sort(rng.normal(size=(F, 255)), axis=1), np.tile(np.arange(256), (F, 1)),
                     [(W, np.array([[0]]))], np.array([[1], [-1]]), np.array([0, 0]))
    net.save(tmp_path / "wide.qnet")
    code, out, err = run_cli("tree", tmp_path / "wide.qnet", "--neuron", "0.0", "--max-nodes", 1000)
    assert_clean_failure(code, out, err, "--max-nodes")


def test_verify_data_of_the_wrong_width_is_refused(converted, tmp_path):
    converted["iris", 2][0].save(tmp_path / "iris.qlc")
    code, out, err = run_cli("verify", tmp_path / "iris.qlc", "--data", model_path("wine_bn", "test.npz"))
    assert_clean_failure(code, out, err, "the network takes 4 features")
