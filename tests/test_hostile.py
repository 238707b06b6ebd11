"""Hostile files: no code runs from a checkpoint without --trust-pickle, names cannot become code, and a
malformed file gets one clean line. A successful attack would create a marker file."""
import json
import os
import zipfile

import numpy as np
import pytest

from conftest import assert_clean_failure, model_path, run_cli
from quantlogic.formats.qnet import save as qnet_save


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


def test_tree_of_a_wide_eight_bit_neuron_is_refused_before_the_work(tmp_path):
    """An 8-bit neuron with many inputs: the partial sums are bounded before they are enumerated."""
    from quantlogic.quant.intnet import IntNetwork

    rng = np.random.default_rng(0)
    F = 24
    W = rng.integers(-127, 128, size=(1, F))
    net = IntNetwork(8, 1, 8, np.sort(rng.normal(size=(F, 255)), axis=1), np.tile(np.arange(256), (F, 1)),
                     [(W, np.array([[0]]))], np.array([[1], [-1]]), np.array([0, 0]))
    qnet_save(net, tmp_path / "wide.qnet")
    code, out, err = run_cli("tree", tmp_path / "wide.qnet", "--neuron", "0.0", "--max-nodes", 1000)
    assert_clean_failure(code, out, err, "--max-nodes")


def test_verify_data_of_the_wrong_width_is_refused(converted, tmp_path):
    converted["iris", 2][0].save(tmp_path / "iris.qlc")
    code, out, err = run_cli("verify", tmp_path / "iris.qlc", "--data", model_path("wine_bn", "test.npz"))
    assert_clean_failure(code, out, err, "the network takes 4 features")


# ---- names on the way out: every exporter escapes or refuses what a name could do ----
HOSTILE_VERILOG = ['p;initial$fopen("pwned.txt","w");//', "n3", "wire", "x0_0"]


def _named_circuit(input_names, output_names):
    from quantlogic.ir.aig import AIG

    aig = AIG()
    lits = [aig.add_input(name) for name in input_names]
    for k, name in enumerate(output_names):
        aig.add_output(name, aig.and_(lits[k % len(lits)], lits[(k + 1) % len(lits)] ^ 1))
    return aig


def test_verilog_names_are_escaped_and_run_nothing(tmp_path):
    """iverilog simulates the exported module on every input (ports by position) and gets the circuit's
    outputs; the name that would open a file opens nothing; yosys reads it too."""
    import shutil
    import subprocess

    from quantlogic.formats.netlist import to_verilog
    from quantlogic.kernels.simulate import Simulator

    aig = _named_circuit(HOSTILE_VERILOG, ["n4", "y;$finish;"])
    bench = """module tb; reg [3:0] x; wire [1:0] y; integer k;
  quantlogic dut(x[0], x[1], x[2], x[3], y[0], y[1]);
  initial begin for (k = 0; k < 16; k = k + 1) begin x = k; #1 $display("%b", y); end end
endmodule
"""
    (tmp_path / "net.v").write_text(to_verilog(aig))
    (tmp_path / "tb.v").write_text(bench)
    assert shutil.which("iverilog") and shutil.which("yosys"), ".ci/run installs iverilog and yosys"
    compiled = subprocess.run(["iverilog", "-g2005", "-o", "sim.vvp", "tb.v", "net.v"], cwd=tmp_path,
                              capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    run = subprocess.run(["vvp", "-n", "sim.vvp"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    got = [int(line, 2) for line in run.stdout.split() if set(line) <= {"0", "1"}]
    bits = (np.arange(16)[:, None] >> np.arange(4)) & 1
    want = Simulator(aig).bits(bits.astype(np.uint8)) @ np.array([1, 2])
    assert got == want.tolist()
    assert not (tmp_path / "pwned.txt").exists()
    synth = subprocess.run(["yosys", "-p", "read_verilog net.v; synth -top quantlogic"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert synth.returncode == 0, synth.stdout[-2000:]


def test_blif_gate_names_never_collide_with_pins(tmp_path):
    import shutil
    import subprocess

    from quantlogic.formats.aiger import to_aig
    from quantlogic.formats.netlist import from_blif, to_blif

    aig = _named_circuit(["n3", "n4", "a[0]"], ["n5", "n6"])
    text = to_blif(aig)
    (tmp_path / "net.blif").write_text(text)
    (tmp_path / "net.aig").write_bytes(to_aig(aig))
    abc = shutil.which("berkeley-abc") or shutil.which("yosys-abc")
    cec = subprocess.run([abc, "-c", "cec net.aig net.blif"], cwd=tmp_path, capture_output=True, text=True)
    assert "Networks are equivalent" in cec.stdout, cec.stdout
    assert from_blif(text).input_names == ["n3", "n4", "a[0]"]


@pytest.mark.parametrize("writer, name", [("to_blif", "a#b"), ("to_blif", ".names"), ("to_blif", "a b"),
                                          ("to_verilog", "a b"), ("to_verilog", "a\nb"), ("to_dot", "a\nb"),
                                          ("to_aag", "a\nb"), ("to_aig", "a\rb")])
def test_names_a_format_cannot_carry_are_refused(writer, name):
    from quantlogic.errors import QuantlogicError
    from quantlogic.formats import aiger, netlist

    module = aiger if writer.startswith("to_a") else netlist
    with pytest.raises(QuantlogicError, match="cannot be written to"):
        getattr(module, writer)(_named_circuit(["a", name], ["y"]))


def test_dot_labels_are_quoted():
    from quantlogic.formats.netlist import to_dot

    text = to_dot(_named_circuit(['a"];evil[label="x', "b\\"], ["n1"]))
    assert '"a\\"];evil[label=\\"x"' in text and '"b\\\\"' in text and '"out n1"' in text


def test_sigterm_unwinds_and_leaves_no_file(tmp_path, monkeypatch):
    """A terminated command removes what it was writing: the signal unwinds through write_atomic."""
    import signal

    import click
    from click.testing import CliRunner

    from quantlogic.formats import container
    from quantlogic.cli import Group

    real_fdopen = container.os.fdopen

    def slow_fdopen(fd, mode):
        handle = real_fdopen(fd, mode)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives between the temporary file and the rename
        return handle

    @click.group(cls=Group)
    def cli():
        pass

    @cli.command()
    def write():
        container.write_atomic(tmp_path / "out.qlc", b"data")

    monkeypatch.setattr(container.os, "fdopen", slow_fdopen)
    result = CliRunner().invoke(cli, ["write"])
    assert result.exit_code == 130 and "interrupted" in result.output
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# ---- checkpoints: tensors that are not dense real numbers, and two networks in one file ----
def _odd_tensors():
    import torch

    weight = torch.randn(8, 4)
    return {
        "complex": (weight.to(torch.complex64), "is complex"),
        "sparse": (weight.to_sparse(), "is sparse"),
        "quantized": (torch.quantize_per_tensor(weight, 0.1, 0, torch.qint8), "is quantized"),
        "meta": (torch.empty(8, 4, device="meta"), "meta tensor"),
        "empty": (torch.empty(0, 4), "is empty"),
        "string": ("weights", "not a real numeric tensor"),
    }


@pytest.mark.parametrize("kind", ["complex", "sparse", "quantized", "meta", "empty", "string"])
def test_checkpoint_tensors_that_are_not_dense_real_numbers(tmp_path, kind):
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tensor, message = _odd_tensors()[kind]
        torch.save({"0.weight": tensor, "2.weight": torch.randn(3, 8)}, tmp_path / "m.pt")
    np.save(tmp_path / "c.npy", np.random.default_rng(0).random((20, 4)))
    code, out, err = run_cli("quantize", tmp_path / "m.pt", "--calib", tmp_path / "c.npy", "-o", tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, message)
    assert not (tmp_path / "m.qnet").exists()


def test_two_networks_in_one_state_dict_are_refused(tmp_path):
    import torch

    from quantlogic.errors import QuantlogicError
    from quantlogic.model.checkpoint import load_checkpoint

    W = torch.randn
    torch.save({"a.fc1.weight": W(8, 4), "a.fc2.weight": W(4, 8), "b.fc1.weight": W(8, 4), "b.fc2.weight": W(3, 8)},
               tmp_path / "two.pt")
    with pytest.raises(QuantlogicError, match="two networks"):
        load_checkpoint(tmp_path / "two.pt")
    torch.save({"features.0.weight": W(8, 4), "features.2.weight": W(6, 8), "classifier.0.weight": W(3, 6)},
               tmp_path / "nested.pt")
    layers, _ = load_checkpoint(tmp_path / "nested.pt")
    assert [layer.kind for layer in layers] == ["linear", "act", "linear", "act", "linear"]
    assert [layer.params["weight"].shape for layer in layers if layer.kind == "linear"] == [(8, 4), (6, 8), (3, 6)]


def test_sums_beyond_int64_are_refused(converted):
    from quantlogic.errors import QuantlogicError
    from quantlogic.quant.intnet import IntNetwork, validate

    net = converted["iris", 2][0].net
    W, T = net.hidden[0]
    huge = IntNetwork(net.ibits, net.abits, net.wbits, net.thresholds, net.levels * 2 ** 35,
                      [(np.full_like(W, 2 ** 39), T)] + net.hidden[1:], net.out_W, net.out_B)
    with pytest.raises(QuantlogicError, match="beyond 64-bit integers"):
        validate(huge)
    validate(IntNetwork(net.ibits, net.abits, net.wbits, net.thresholds, net.levels,
                        [(np.full_like(W, 2 ** 39), T)] + net.hidden[1:], net.out_W, net.out_B))


# ---- data files ----
def test_npy_declaring_more_than_it_holds_is_refused(tmp_path):
    import io

    from quantlogic.model.data import load_dataset
    from quantlogic.errors import QuantlogicError

    buffer = io.BytesIO()
    np.save(buffer, np.zeros((3, 4)))
    data = buffer.getvalue().replace(b"(3, 4), }", b"(10**12, 4),}".replace(b"10**12", b"999999999999"), 1)
    header_length = int.from_bytes(data[8:10], "little")
    data = data[:8] + header_length.to_bytes(2, "little") + data[10:]
    (tmp_path / "x.npy").write_bytes(data)
    with pytest.raises(QuantlogicError, match="declares shape"):
        load_dataset(tmp_path / "x.npy")


# ---- output traps: checked before the work, one line each ----
@pytest.mark.parametrize("args, words", [
    (["convert", "{model}", "--calib", "{calib}", "-o", "{tmp}/x.aig"], ["must be a .qlc file"]),
    (["convert", "{model}", "--calib", "{calib}", "-o", "{tmp}/nodir/x.qlc"], ["no folder"]),
    (["quantize", "{model}", "--calib", "{calib}", "-o", "{tmp}/x.qlc"], ["must be a .qnet file"]),
    (["convert", "{qnet}", "-o", "{tmp}/y.qlc", "--wbits", "2"], ["already quantized", "--wbits"]),
    (["predict", "{qnet}", "{calib}", "-o", "{tmp}/p.dat"], ["must be a .npy or .txt or .csv file"]),
])
def test_output_traps_are_refused_before_the_work(converted, tmp_path, args, words):
    qnet = tmp_path / "iris.qnet"
    qnet_save(converted["iris", 2][0].net, qnet)
    fill = {"model": model_path("iris"), "calib": model_path("iris", "calib.npy"), "tmp": tmp_path, "qnet": qnet}
    code, out, err = run_cli(*[a.format(**fill) for a in args])
    assert_clean_failure(code, out, err, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris.qnet"]


def test_predictions_as_text_and_csv_with_a_header(converted, tmp_path):
    net = converted["iris", 2][0].net
    qnet_save(net, tmp_path / "iris.qnet")
    X = np.load(model_path("iris", "calib.npy"))[:20]
    rows = "\n".join(",".join(map(repr, row.tolist())) for row in X)
    (tmp_path / "rows.csv").write_text("sepal_length,sepal_width,petal_length,petal_width\n" + rows + "\n")
    code, out, err = run_cli("predict", tmp_path / "iris.qnet", tmp_path / "rows.csv", "-o", tmp_path / "p.txt")
    assert code == 0, err
    assert (tmp_path / "p.txt").read_text().split() == [str(c) for c in net.predict(X)]
