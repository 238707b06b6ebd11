"""The fine-tuner's local searches on generated networks: the input-threshold search and the integer weight
search never lower their score, keep what they must keep, and the integer search's own bookkeeping gives
the same network as building its result from scratch."""
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_conv import conv_models, save

from quantlogic.model.floatnet import Dense, FloatNetwork
from quantlogic.quant.codes import encode_column
from quantlogic.quant.quantize import build, encoding_groups, ptq_params
from quantlogic.quant.schemes import fits
from quantlogic.quant.threshold_search import FirstLayer, refine_thresholds
from quantlogic.quant.weight_search import SearchLimits, search_integers


def random_float_network(seed, n_in, widths, n_out):
    rng = np.random.default_rng(seed)
    sizes = [n_in] + widths
    hidden = [Dense(rng.normal(size=(b, a)), rng.normal(size=b) * 0.5, lo=0.0) for a, b in zip(sizes, sizes[1:])]
    return FloatNetwork(hidden, Dense(rng.normal(size=(n_out, sizes[-1])), rng.normal(size=n_out))), rng


networks = st.tuples(st.integers(0, 10 ** 6), st.integers(1, 7), st.lists(st.integers(1, 9), min_size=0, max_size=2),
                     st.integers(2, 5))


@settings(max_examples=30, deadline=None)
@given(networks, st.integers(1, 4))
def test_threshold_search_never_lowers_agreement_and_keeps_thresholds_ascending(shape, ibits):
    seed, n_in, widths, n_out = shape
    net, rng = random_float_network(seed, n_in, widths, n_out)
    X = rng.normal(size=(120, n_in)) * rng.uniform(0.1, 10, size=n_in)
    target = np.argmax(net.forward(X)[1], axis=1)
    p = ptq_params(net, X, 3, 3, ibits)
    values = p.in_offset[:, None] + p.in_scale[:, None] * p.levels
    first = (net.hidden + [net.output])[0]

    def agreement(thresholds):
        codes = np.stack([encode_column(X[:, i], thresholds[i]) for i in range(n_in)], axis=1)
        V = np.take_along_axis(values.T, codes, axis=0)
        return int(np.sum(np.argmax(net.forward(V)[1], axis=1) == target))

    score = lambda logits, rows: (np.argmax(logits, axis=1) == target[rows])[:, None]  # noqa: E731
    found = refine_thresholds(X, p.thresholds, values, encoding_groups(net, n_in),
                              FirstLayer(first.W, net.logits_after_first), score)
    assert found.shape == p.thresholds.shape
    assert np.all(np.diff(found, axis=1) > 0)
    assert agreement(found) >= agreement(p.thresholds)


@settings(max_examples=40, deadline=None)
@given(networks, st.integers(1, 4), st.integers(1, 3), st.booleans())
def test_integer_search_gains_what_it_reports_and_respects_ranges_and_masks(shape, wbits, abits, masked):
    seed, n_in, widths, n_out = shape
    net, rng = random_float_network(seed, n_in, widths, n_out)
    X = rng.normal(size=(150, n_in))
    target = np.argmax(net.forward(X)[1], axis=1)
    p = ptq_params(net, X, wbits, abits, 2)
    frozen = None
    if masked:
        frozen = [(rng.random(layer.Wq.shape) < 0.6).astype(float) for layer in p.hidden]
        p.hidden = [replace(layer, Wq=layer.Wq * m.astype(np.int64)) for layer, m in zip(p.hidden, frozen)]
    before = int(np.sum(build(p)[0].predict(X) == target))
    found, gained = search_integers(p, X, target, frozen, SearchLimits(sweeps=2))
    after_net = build(found)[0]
    assert gained >= 0
    assert int(np.sum(after_net.predict(X) == target)) == before + gained
    rows = [row for layer in found.hidden for row in layer.Wq] + list(found.out_Wq)
    for W in rows:
        assert fits(W, wbits), W
        if wbits == 1 and not masked:
            assert np.all(W != 0)
    if masked:
        for layer, m in zip(found.hidden, frozen):
            assert np.all(layer.Wq[m == 0] == 0)


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(conv_models(), st.integers(1, 3))
def test_searches_on_generated_conv_networks_keep_kernels_and_channel_encodings(tmp_path_factory, model_n, bits):
    """Random Conv1d/Conv2d networks (pools, groups, padding): the threshold search moves a channel's
    pixels together, the integer search leaves the shared kernel and changes only dense layers, and its
    gain is what a rebuild of its result scores."""
    from quantlogic.app.convert import load_float_network

    model, n = model_n
    path = save(model, n, tmp_path_factory.mktemp("conv") / "m.pt", "trace")
    X = np.random.default_rng(2).normal(size=(160, n))
    net = load_float_network(path, X=X)
    p = ptq_params(net, X, bits, bits, bits)
    target = np.argmax(net.forward(X)[1], axis=1)
    values = p.in_offset[:, None] + p.in_scale[:, None] * p.levels
    groups = encoding_groups(net, n)
    first = (net.hidden + [net.output])[0]
    score = lambda logits, rows: (np.argmax(logits, axis=1) == target[rows])[:, None]  # noqa: E731
    found = refine_thresholds(X, p.thresholds, values, groups, FirstLayer(first.W, net.logits_after_first), score)
    for cols in groups:
        assert np.all(found[cols] == found[cols[0]])
    before = int(np.sum(build(p)[0].predict(X) == target))
    tuned, gained = search_integers(p, X, target, limits=SearchLimits(sweeps=1))
    for old, new in zip(p.hidden, tuned.hidden):
        if old.taps is not None:
            assert np.array_equal(old.Wq, new.Wq) and np.array_equal(old.bias, new.bias)
    assert gained >= 0 and int(np.sum(build(tuned)[0].predict(X) == target)) == before + gained
