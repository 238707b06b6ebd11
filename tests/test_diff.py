"""diff across input contracts: two networks that read the features through other thresholds or bit widths
are compared on the union of their thresholds, so a difference is a float input row."""
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings

from conftest import int_networks, run_cli
from quantlogic.app.diff import diff_bundles
from quantlogic.formats.bundle import Bundle
from quantlogic.lower.network import lower_network


def refined(net, rng):
    """The same function read through one more input bit: every old threshold kept, new ones added between
    (or beyond) them, and each new code mapped to the level of the old code it lies in."""
    K = 2 ** (net.ibits + 1) - 1
    thresholds, levels = [], []
    for i in range(net.n_features):
        old = net.thresholds[i]
        extra = rng.uniform(old.min() - 1, old.max() + 1, size=K - len(old))
        new = np.sort(np.concatenate([old, extra]))
        thresholds.append(new)
        levels.append([net.levels[i, 0]] + [net.levels[i, int(np.sum(old <= t))] for t in new])
    return replace(net, ibits=net.ibits + 1, thresholds=np.array(thresholds), levels=np.array(levels, dtype=np.int64))


def bundle_of(net):
    low = lower_network(net)
    return Bundle(net, low.aig, low, {})


@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(int_networks(max_features=4, max_width=6, max_input_bits=12))
def test_the_same_function_under_other_thresholds_is_proved_and_a_change_is_a_float_row(net):
    if net.ibits == 8:
        net = replace(net, ibits=7, thresholds=net.thresholds[:, :127], levels=net.levels[:, :128])
    rng = np.random.default_rng(0)
    finer = refined(net, rng)
    rows = rng.normal(size=(300, net.n_features)) * 2
    assert np.array_equal(finer.predict(rows), net.predict(rows))  # the construction keeps the function
    a, b = bundle_of(net), bundle_of(finer)
    verdict = diff_bundles(a, b)
    assert verdict.status == "proved", verdict.text
    changed = replace(finer, out_B=finer.out_B + np.arange(finer.n_classes) * 3)
    verdict = diff_bundles(a, bundle_of(changed))
    assert verdict.status in ("proved", "disproved"), verdict.text
    if verdict.status == "disproved":  # the row is a real float input where the two networks differ
        row = np.array([verdict.witness["row"]])
        assert net.predict(row)[0] == verdict.witness["first"] != verdict.witness["second"] == changed.predict(row)[0]
    else:
        codes = np.random.default_rng(1).normal(size=(2000, net.n_features)) * 3
        assert np.array_equal(net.predict(codes), changed.predict(codes))


def test_diff_cli_across_input_bits_shows_layers_side_by_side(tmp_path):
    from conftest import model_path

    paths = []
    for ibits in (2, 3):
        path = tmp_path / f"w{ibits}.qlc"
        code, _, err = run_cli("convert", model_path("iris"), "--calib", model_path("iris", "calib.npy"), "-o", path,
                               "--wbits", "2", "--abits", "2", "--ibits", str(ibits), "--no-simplify")
        assert code == 0, err
        paths.append(path)
    code, out, err = run_cli("diff", *paths)
    assert code in (0, 1), err
    assert "union of their thresholds" in out
    assert "layer 0" in out and "depth" in out and "first" in out.splitlines()[1 if code == 1 else 2]
