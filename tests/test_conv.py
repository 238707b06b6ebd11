"""Convolutional checkpoints: random conv/pool shapes against torch, the IntNetwork against the fake-quantized
torch model, circuits proved and equal to the IntNetwork, TorchScript and torch.export alike, clear refusals."""
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

from conftest import assert_clean_failure, run_cli
from quantlogic.app.convert import load_float_network, quantize_rows
from quantlogic.errors import QuantlogicError

torch.set_num_threads(1)


class Reshaped(nn.Module):
    """A flat row viewed as (C, L) or (C, H, W), then the layers."""

    def __init__(self, shape, layers):
        super().__init__()
        self.shape = shape
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.body(x.view((-1,) + self.shape))


@st.composite
def conv_models(draw):
    """A random Conv1d/Conv2d network: stride, zero padding (numbers or 'same'), dilation, groups
    (depthwise included), BatchNorm, max- or average pool, then a Linear classifier."""
    dims = draw(st.sampled_from([1, 2]))
    c_in = draw(st.integers(1, 3))
    size = draw(st.integers(4, 7))
    shape = (c_in, size) if dims == 1 else (c_in, size, draw(st.integers(4, 6)))
    groups = draw(st.sampled_from([1, c_in]))
    c_out = groups * draw(st.integers(1, 3))
    k = draw(st.integers(1, 3))
    dilation = draw(st.integers(1, 2))
    same = draw(st.booleans())
    stride = 1 if same else draw(st.integers(1, 2))
    padding = "same" if same else draw(st.integers(0, 1))
    Conv, BN = (nn.Conv1d, nn.BatchNorm1d) if dims == 1 else (nn.Conv2d, nn.BatchNorm2d)
    layers = [Conv(c_in, c_out, k, stride=stride, padding=padding, dilation=dilation, groups=groups,
                   bias=draw(st.booleans()))]
    if draw(st.booleans()):
        layers.append(BN(c_out))
    layers.append(nn.ReLU())
    pool = draw(st.sampled_from(["none", "max", "avg"]))
    if pool != "none":
        Pool = {("max", 1): nn.MaxPool1d, ("max", 2): nn.MaxPool2d, ("avg", 1): nn.AvgPool1d,
                ("avg", 2): nn.AvgPool2d}[pool, dims]
        layers.append(Pool(2, stride=draw(st.integers(1, 2)), padding=draw(st.integers(0, 1))))
    layers.append(nn.Flatten())
    model = Reshaped(shape, layers).eval()  # BatchNorm in training mode refuses one value per channel
    try:
        width = model.body(torch.zeros((1,) + shape)).shape[1]
    except RuntimeError:  # a window larger than its input
        assume(False)
    model.body.append(nn.Linear(width, draw(st.integers(2, 4))))
    torch.manual_seed(draw(st.integers(0, 1000)))
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(-1.5, 1.5)  # negative scales too
    return model.eval(), int(np.prod(shape))


def save(model, n, path, kind):
    example = torch.zeros(2, n)
    if kind == "script":
        torch.jit.save(torch.jit.script(model), path)
    elif kind == "trace":
        torch.jit.save(torch.jit.trace(model, example), path)
    else:
        torch.export.save(torch.export.export(model, (example,)), path)
    return path


@settings(max_examples=14, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(conv_models(), st.sampled_from([1, 2, 3]))
def test_random_conv_networks_match_torch_and_their_fake_quantized_model(tmp_path_factory, model_n, bits):
    """Traced TorchScript and torch.export of each network: the fold equals torch's forward, both files give
    the same IntNetwork, which equals the fake-quantized model on every row and keeps kernels shared."""
    from quantlogic.formats.qnet import to_bytes

    model, n = model_n
    folder = tmp_path_factory.mktemp("conv")
    paths = [save(model, n, folder / "m.pt", "trace"), save(model, n, folder / "m.pt2", "export")]
    X = np.random.default_rng(1).normal(size=(200, n))
    with torch.no_grad():
        want = model(torch.tensor(X, dtype=torch.float32)).double().numpy()
    nets = []
    for path in paths:
        net = load_float_network(path, X=X)  # refuses a fold that differs from torch's forward
        assert np.max(np.abs(net.forward(X)[1] - want)) < 1e-4 * (1 + np.abs(want).max())
        intnet, summary = quantize_rows(path, X, wbits=bits, abits=bits, ibits=bits)
        assert summary["fake_quant_disagreements"] == 0
        intnet.meta = {}
        nets.append(intnet)
    assert to_bytes(nets[0]) == to_bytes(nets[1])
    assert_kernel_shared(nets[0].hidden[0][0], net.hidden[0])


def assert_kernel_shared(W, conv):
    """A kernel entry is one integer at every position of its channel."""
    if conv.taps is not None:
        on = conv.taps >= 0
        entries, values = conv.taps[on], W[on]
        for entry in np.unique(entries)[:20]:
            assert len(set(values[entries == entry].tolist())) == 1


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(conv_models(), st.sampled_from([2, 3]))
def test_fine_tuned_conv_networks_keep_kernels_shared_on_one_orientation(tmp_path_factory, model_n, bits):
    """After fine-tuning a kernel entry is still one integer at every position, each row lies in one orientation
    of the weight grid, and the IntNetwork equals its fake-quantized model."""
    from quantlogic.quant.schemes import fits
    from quantlogic.train.finetune import FinetuneOptions

    model, n = model_n
    path = save(model, n, tmp_path_factory.mktemp("conv") / "m.pt", "trace")
    X = np.random.default_rng(2).normal(size=(120, n))
    intnet, summary = quantize_rows(path, X, wbits=bits, abits=bits, ibits=bits,
                                    finetune=FinetuneOptions(epochs=3, augment=0))
    assert summary["fake_quant_agreement"] >= 0.99
    assert_kernel_shared(intnet.hidden[0][0], load_float_network(path, X=X).hidden[0])
    assert all(fits(row, bits) for W, _ in intnet.hidden for row in W) and all(fits(row, bits) for row in intnet.out_W)


def tiny_cnn(seed=0):
    """1x4x4 input, Conv2d(1, 2, 3, padding=1), ReLU, MaxPool2d(2), Linear(8, 3): 16 inputs at 1 bit."""
    torch.manual_seed(seed)
    model = Reshaped((1, 4, 4), [nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(8, 3)])
    return model.eval()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    model = tiny_cnn()
    X = np.random.default_rng(0).normal(size=(300, 16))
    np.save(folder / "X.npy", X)
    save(model, 16, folder / "m.pt", "trace")
    save(model, 16, folder / "m.pt2", "export")
    return folder


def all_codes(n, ibits=1):
    patterns = np.arange(1 << (n * ibits), dtype=np.int64)
    return (patterns[:, None] >> (np.arange(n) * ibits)) & ((1 << ibits) - 1)


def test_tiny_cnn_lowering_is_proved_part_by_part_and_equals_the_intnet(tiny):
    from quantlogic.lower.network import lower_network
    from quantlogic.quant.codes import circuit_classes
    from quantlogic.verify.parts import prove_by_parts

    X = np.load(tiny / "X.npy")
    for bits in (1, 2):
        net, _ = quantize_rows(tiny / "m.pt", X, wbits=bits + 1, abits=bits, ibits=1)
        assert net.pools[0] is not None and net.shapes[0] == (2, 4, 4) and net.in_shape == (1, 4, 4)
        low = lower_network(net)
        assert prove_by_parts(net, low) is None
        codes = all_codes(16)
        assert np.array_equal(circuit_classes(low.aig, codes, 1, net.n_classes), net.predict_codes(codes))


def test_a_wrong_max_pool_step_is_found(tiny):
    """A record claiming a wrong word is a window's maximum is a gap; gates of the pool's compare-and-select
    changed in the circuit are judged by the function they leave (disproved where it differs)."""
    from dataclasses import replace

    from quantlogic.formats.bundle import Bundle
    from quantlogic.lower.network import lower_network
    from quantlogic.quant.codes import circuit_classes
    from quantlogic.verify.network import verify_bundle
    from quantlogic.verify.parts import check_pools

    net, _ = quantize_rows(tiny / "m.pt", np.load(tiny / "X.npy"), wbits=3, abits=2, ibits=1)
    low = lower_network(net)
    left, right, out = low.pools[0][0].steps[0]
    circuits = [replace(p) for p in low.pools[0]]
    circuits[0] = replace(circuits[0], steps=[(left, right, [out[0] ^ 1] + list(out[1:]))] + circuits[0].steps[1:])
    gap = check_pools(low.aig, net.pools[0], low.neurons[0], circuits)
    assert gap is not None and "larger code" in gap.text
    codes = all_codes(16)
    seen = set()
    for pool in low.pools[0]:
        for _, _, word in pool.steps:
            node = word[0] >> 1
            if node <= low.aig.n_inputs:
                continue
            bad = low.aig.copy()
            bad.fanin0[node - 1 - bad.n_inputs] ^= 1
            verdict = verify_bundle(Bundle(net, bad, replace(low, aig=bad), {}))
            wrong = not np.array_equal(circuit_classes(bad, codes, 1, net.n_classes), net.predict_codes(codes))
            assert verdict.status == ("disproved" if wrong else "proved"), verdict.text
            seen.add(verdict.status)
    assert "disproved" in seen


def test_torchscript_and_torch_export_give_the_same_intnet(tiny):
    from quantlogic.formats.qnet import to_bytes

    X = np.load(tiny / "X.npy")
    nets = [quantize_rows(tiny / name, X, wbits=3, abits=2, ibits=2)[0] for name in ("m.pt", "m.pt2")]
    for net in nets:
        net.meta = {}  # the source file name and digest differ
    assert to_bytes(nets[0]) == to_bytes(nets[1])


def test_the_bundled_digits_cnn_reads_alike_from_torchscript_and_torch_export():
    from conftest import model_path
    from quantlogic.formats.qnet import to_bytes

    X = np.load(model_path("digits_cnn", "calib.npy"))
    nets = [quantize_rows(model_path("digits_cnn", name), X, wbits=2, abits=2, ibits=2)[0]
            for name in ("model.pt", "model.pt2")]
    assert nets[0].shapes == [(4, 8, 8)] and nets[0].pools[0].shape == (64, 4)
    for net in nets:
        net.meta = {}
    assert to_bytes(nets[0]) == to_bytes(nets[1])


def test_convert_cli_proves_a_cnn_and_inspect_shows_shapes(tiny):
    code, out, err = run_cli("convert", tiny / "m.pt2", "--calib", tiny / "X.npy", "-o", tiny / "n.qlc",
                             "--wbits", "2", "--abits", "2", "--ibits", "1")
    assert code == 0, err
    assert "proved" in out
    code, out, err = run_cli("inspect", tiny / "n.qlc")
    assert code == 0, err
    assert "(1, 4, 4)" in out and "max-pool" in out


def test_qnet_round_trip_keeps_pools_and_shapes(tiny, tmp_path):
    from quantlogic.formats import qnet

    net, _ = quantize_rows(tiny / "m.pt", np.load(tiny / "X.npy"), wbits=3, abits=2, ibits=2)
    qnet.save(net, tmp_path / "n.qnet")
    back = qnet.load(tmp_path / "n.qnet")
    assert np.array_equal(back.pools[0], net.pools[0]) and back.shapes == net.shapes
    assert back.in_shape == net.in_shape
    assert qnet.to_bytes(back) == qnet.to_bytes(net)


@pytest.mark.parametrize("case, words", [
    ("reflect", ["padding mode"]),
    ("ceil", ["ceil_mode"]),
    ("transposed", ["ConvTranspose2d"]),
    ("not a view", ["not a view"]),
    ("permute", ["permute"]),
    ("state_dict", ["convolution", "torch.jit"]),
])
def test_unsupported_conv_features_are_one_clear_line(tmp_path, case, words):
    class Permuted(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            return self.fc(self.conv(x.view(-1, 1, 4, 4)).permute(0, 1, 3, 2).reshape(x.shape[0], -1))

    models = {
        "reflect": lambda: Reshaped((1, 4, 4), [nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), nn.ReLU(),
                                               nn.Flatten(), nn.Linear(32, 2)]),
        "ceil": lambda: Reshaped((1, 4, 4), [nn.Conv2d(1, 2, 2), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True),
                                            nn.Flatten(), nn.Linear(8, 2)]),
        "transposed": lambda: Reshaped((1, 4, 4), [nn.ConvTranspose2d(1, 1, 1), nn.ReLU(), nn.Flatten(),
                                                  nn.Linear(16, 2)]),
        "not a view": lambda: Reshaped((1, 2, 2), [nn.Conv2d(1, 1, 1), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2)]),
        "permute": Permuted,
    }
    np.save(tmp_path / "X.npy", np.random.default_rng(0).normal(size=(50, 16)))
    if case == "state_dict":
        torch.save(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)).state_dict(), tmp_path / "m.pt")
    else:
        torch.jit.save(torch.jit.trace(models[case]().eval(), torch.zeros(2, 16)), tmp_path / "m.pt")
    code, out, err = run_cli("quantize", tmp_path / "m.pt", "--calib", tmp_path / "X.npy", "-o", tmp_path / "m.qnet")
    assert_clean_failure(code, out, err, *words)
    assert not (tmp_path / "m.qnet").exists()


def test_a_convolution_without_the_rows_shape_says_how_to_give_it():
    from quantlogic.model.conv import Geometry
    from quantlogic.model.floatnet import Layer, fold

    conv = Layer("conv", {"weight": np.ones((1, 1, 1, 1)), "groups": 1, "dims": 2,
                          "geometry": Geometry((1, 1), (1, 1), (1, 1), ((0, 0), (0, 0)))}, "c (Conv2d)")
    with pytest.raises(QuantlogicError, match="view"):
        fold([conv, Layer("act", {"lo": 0.0, "hi": np.inf}, "relu"), Layer("linear", {"weight": np.ones((2, 1))})])


def test_conv_neurons_by_position_and_trees_of_a_pooled_network(tiny):
    from quantlogic.lower.to_tree import network_diagram, neuron_diagram
    from quantlogic.quant.neurons import neuron_name, parse_neuron
    from quantlogic.verify.tree import verify_diagram

    net, _ = quantize_rows(tiny / "m.pt", np.load(tiny / "X.npy"), wbits=3, abits=2, ibits=1)
    assert parse_neuron(net, "0.c1@2,3") == (0, 16 + 2 * 4 + 3)
    assert all(parse_neuron(net, neuron_name(net, 0, j)) == (0, j) for j in range(32))
    with pytest.raises(QuantlogicError, match="shape"):
        parse_neuron(net, "0.c2@0,0")
    tree = neuron_diagram(net, "0.c1@2,3")
    assert verify_diagram(net, tree, "0.c1@2,3").status == "proved"
    whole = network_diagram(net)  # branch and bound through the max-pool
    assert verify_diagram(net, whole).text.startswith("proved (exhaustive")
    code, out, err = run_cli("convert", tiny / "m.pt", "--calib", tiny / "X.npy", "-o", tiny / "lowered.qlc",
                             "--wbits", "3", "--abits", "2", "--ibits", "1", "--no-simplify")
    assert code == 0, err
    code, out, err = run_cli("inspect", tiny / "lowered.qlc", "--neuron", "0.c0@1,1")
    assert code == 0 and "neuron 0.c0@1,1 (0.5)" in out and "max-pooled into output(s) p0.0" in out, err


def test_the_python_api_converts_an_nn_module_with_arrays(tiny):
    """quantlogic.convert(module, calib=X): traced in memory (its reshape read from the trace), the same
    IntNetwork as from its TorchScript file, and the source named as the module's class."""
    import quantlogic
    from quantlogic.formats.qnet import to_bytes

    X = np.load(tiny / "X.npy")
    bundle, verdict, _ = quantlogic.convert(tiny_cnn(), calib=X, wbits=3, abits=2, ibits=1)
    assert verdict.status == "proved"
    assert bundle.net.meta["source"] == "nn.Module Reshaped"
    from_file, _ = quantize_rows(tiny / "m.pt", X, wbits=3, abits=2, ibits=1)
    for net in (bundle.net, from_file):
        net.meta = {}
    assert to_bytes(bundle.net) == to_bytes(from_file)
    with pytest.raises(QuantlogicError, match="calibration rows"):
        quantlogic.convert(tiny_cnn(), calib=np.full((3, 16), np.nan), wbits=2, abits=2, ibits=1)


def test_a_trusted_pickled_cnn_module_is_traced(tiny, tmp_path):
    """A whole nn.Module saved with torch.save (read only with --trust-pickle) is traced on the calibration
    rows, so the reshape in its forward is known: the same IntNetwork as its TorchScript file."""
    from quantlogic.formats.qnet import to_bytes

    torch.save(tiny_cnn(), tmp_path / "whole.pt")
    X = np.load(tiny / "X.npy")
    nets = [quantize_rows(tmp_path / "whole.pt", X, wbits=3, abits=2, ibits=1, trust_pickle=True)[0],
            quantize_rows(tiny / "m.pt", X, wbits=3, abits=2, ibits=1)[0]]
    for net in nets:
        net.meta = {}
    assert to_bytes(nets[0]) == to_bytes(nets[1])
