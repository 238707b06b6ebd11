"""Fuzzing every reader: random mutations of valid files and random JSON; any exception other than the
tool's own error is a failure. QL_FUZZ_EXAMPLES sets the examples per fuzzer (CI: 120; benchmarks/fuzz.py runs
more)."""
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import assert_clean_failure, run_cli
from quantlogic.formats.qnet import save as qnet_save

FUZZ = settings(max_examples=int(os.environ.get("QL_FUZZ_EXAMPLES", "120")), deadline=None,
                suppress_health_check=list(HealthCheck), derandomize=True)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12)


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory, converted):
    from quantlogic.lower.to_tree import network_diagram
    from quantlogic.formats.diagram import to_json

    folder = tmp_path_factory.mktemp("valid")
    bundle = converted["iris", 2][0]
    bundle.save(folder / "m.qlc")
    qnet_save(bundle.net, folder / "m.qnet")
    (folder / "t.json").write_text(to_json(network_diagram(bundle.net, 28, 100_000)))
    return {kind: (folder / f"m.{kind}").read_bytes() for kind in ("qlc", "qnet")} | \
        {"json": (folder / "t.json").read_bytes()}


def _open_quietly(path):
    from quantlogic.app.artifacts import open_artifact
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


def _mutated(data, edits, cut):
    """data with bytes overwritten at (position, value) edits (positions wrap), then cut short at cut."""
    data = bytearray(data)
    for position, value in edits:
        data[position % len(data)] = value
    return bytes(data if cut is None else data[: cut % (len(data) + 1)])


@FUZZ
@given(kind=st.sampled_from(["qlc", "qnet", "json"]), edits=st.lists(st.tuples(st.integers(0, 10 ** 9),
                                                                             st.integers(0, 255)), max_size=6),
       cut=st.none() | st.integers(0, 10 ** 9))
def test_fuzz_bytes(valid_files, tmp_path_factory, kind, edits, cut):
    path = tmp_path_factory.mktemp("fuzz") / f"x.{kind}"
    path.write_bytes(_mutated(valid_files[kind], edits, cut))
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


@FUZZ
@given(kind=st.sampled_from(["npy", "npz", "csv", "labels"]),
       edits=st.lists(st.tuples(st.integers(0, 10 ** 9), st.integers(0, 255)), max_size=6),
       cut=st.none() | st.integers(0, 10 ** 9))
def test_fuzz_data_files(tmp_path_factory, kind, edits, cut):
    import io

    from quantlogic.model.data import load_dataset, load_labels
    from quantlogic.errors import QuantlogicError

    X = np.arange(12, dtype=np.float64).reshape(4, 3) / 7
    buffer = io.BytesIO()
    if kind == "npz":
        np.savez_compressed(buffer, X=X, y=np.arange(4))
    elif kind == "npy":
        np.save(buffer, X)
    else:
        buffer.write("\n".join(",".join(f"{v:.3f}" for v in row) for row in X).encode())
    path = tmp_path_factory.mktemp("fuzz") / f"x.{'csv' if kind == 'labels' else kind}"
    path.write_bytes(_mutated(buffer.getvalue(), edits, cut))
    try:
        load_labels(path) if kind == "labels" else load_dataset(path)
    except QuantlogicError:
        pass


@FUZZ
@given(kind=st.sampled_from(["pt", "safetensors", "torchscript", "pt2"]),
       edits=st.lists(st.tuples(st.integers(0, 10 ** 9), st.integers(0, 255)), min_size=1, max_size=4),
       cut=st.none() | st.integers(0, 10 ** 9))
def test_fuzz_checkpoints(valid_checkpoints, tmp_path_factory, kind, edits, cut):
    from quantlogic.errors import QuantlogicError
    from quantlogic.model.checkpoint import load_checkpoint

    data = _mutated(valid_checkpoints[kind], edits, cut)
    suffix = {"torchscript": "pt"}.get(kind, kind)
    path = tmp_path_factory.mktemp("fuzz") / f"m.{suffix}"
    path.write_bytes(data)
    try:
        load_checkpoint(path)
    except QuantlogicError:
        pass


@pytest.fixture(scope="module")
def valid_checkpoints(tmp_path_factory):
    import torch
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("checkpoints")
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    model.eval()
    torch.save(model.state_dict(), folder / "m.pt")
    save_file({k: v.contiguous() for k, v in model.state_dict().items() if v.dtype.is_floating_point},
              folder / "m.safetensors")
    torch.jit.save(torch.jit.script(model), folder / "s.pt")
    torch.export.save(torch.export.export(model, (torch.zeros(2, 4),)), folder / "m.pt2")
    return {"pt": (folder / "m.pt").read_bytes(), "safetensors": (folder / "m.safetensors").read_bytes(),
            "torchscript": (folder / "s.pt").read_bytes(), "pt2": (folder / "m.pt2").read_bytes()}


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
