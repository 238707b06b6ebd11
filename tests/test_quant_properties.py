"""Property tests of the quantizers: codes in range, thresholds sorted, requantizing changes nothing."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantlogic.quant.schemes import (activation_range, encode, fits, input_encoding, off_the_values, quantize_rows,
                                      quantize_shared, row_bounds, weight_bounds)

floats = st.floats(-100, 100, allow_nan=False, width=32)
bits = st.integers(1, 8)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)), elements=floats), bits)
def test_weight_codes_in_range_and_requantizing_is_identity(W, wbits):
    Wq, scale = quantize_rows(W, wbits)
    short, long = weight_bounds(wbits)
    assert Wq.dtype == np.int64 and all(fits(row, wbits) for row in Wq) and np.all(scale > 0)
    assert np.array_equal(np.stack(row_bounds(Wq, wbits)), np.stack(row_bounds(Wq, wbits, np.arange(len(Wq)))))
    Wq2, scale2 = quantize_rows(Wq * scale[:, None], wbits)
    exact = np.abs(Wq).max(axis=1) >= short  # a row at its grid's end is its own best quantization
    np.testing.assert_allclose((Wq2 * scale2[:, None])[exact], (Wq * scale[:, None])[exact], rtol=1e-9, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)), elements=floats), st.integers(2, 8))
def test_a_shared_scale_lets_each_row_choose_its_orientation(W, wbits):
    """The output layer's quantizer: one positive scale, each row in one orientation, and never a larger error
    than one orientation for the whole matrix (a special case of its choices, at the same candidate scales)."""
    Wq, scale = quantize_shared(W, wbits)
    assert Wq.shape == W.shape and Wq.dtype == np.int64 and scale > 0 and all(fits(row, wbits) for row in Wq)
    whole, whole_scale = quantize_rows(W.reshape(1, -1), wbits)
    error = ((W - Wq * scale) ** 2).sum()
    assert error <= ((W - whole.reshape(W.shape) * whole_scale[0]) ** 2).sum() * (1 + 1e-9) + 1e-300


def test_two_bit_weights_take_four_levels_in_either_orientation():
    """A row with its largest weight positive uses -1..2, one with it negative -2..1 (both exact here)."""
    Wq, scale = quantize_rows(np.array([[2.0, 1.0, 0.0, -1.0], [-2.0, -1.0, 0.0, 1.0]]), 2)
    assert Wq.tolist() == [[2, 1, 0, -1], [-2, -1, 0, 1]] and np.allclose(scale, 1.0)
    assert [fits(row, 2) for row in ([2, -2], [2, -1], [-2, 1], [3, 0])] == [False, True, True, False]
    lo, hi = row_bounds(np.array([[2, 0], [1, 0], [0, -2]]), 2, groups=np.array([0, 0, 1]))  # a channel's rows
    assert lo.tolist() == [-1, -1, -2] and hi.tolist() == [2, 2, 1]  # take the orientation one of them reached
    Wq, scale = quantize_shared(np.array([[2.0, 1.0, 0.0, -1.0], [-2.0, -1.0, 0.0, 1.0]]), 2)  # one scale
    assert Wq.tolist() == [[2, 1, 0, -1], [-2, -1, 0, 1]] and scale == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(2, 80), elements=floats), st.integers(1, 6))
def test_input_encoding_sorted_codes_in_range_and_idempotent(x, ibits):
    thresholds, levels, scale, offset = input_encoding(x, ibits)
    K = 2 ** ibits - 1
    assert thresholds.shape == (K,) and np.all(np.diff(thresholds) > 0)
    assert levels[0] == 0 and np.all(np.diff(levels) > 0)
    codes = encode(x, thresholds)
    assert codes.min() >= 0 and codes.max() <= K
    # the dequantized data encodes to the same codes with the same encoding
    xq = offset + scale * levels[codes]
    assert np.array_equal(encode(xq, thresholds), codes)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 50), st.integers(1, 5)), elements=floats), st.integers(1, 6),
       st.sampled_from([0.0, -1.0, -np.inf]))
def test_activation_codes_in_range_and_requantizing_is_identity(z, abits, lo_f):
    f = np.maximum(z, lo_f)
    lo, scale = activation_range(f, lo_f, abits)
    M = 2 ** abits - 1
    codes = np.clip(np.round((f - lo) / scale), 0, M)
    assert scale > 0 and lo <= f.min() + 1e-9
    fq = lo + scale * codes
    lo2, scale2 = activation_range(fq, lo_f, abits)
    codes2 = np.clip(np.round((fq - lo2) / scale2), 0, M)
    assert np.array_equal(codes2, codes)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.integers(1, 8), st.sampled_from([3, 1 << 20, 1 << 28]),
       st.integers(0, 2**32 - 1))
def test_integer_products_are_exact_on_either_path(n, k, m, magnitude, seed):
    """int_matmul equals the exact product (Python integers): through float64 while every sum stays below 2^53,
    and for entries of 2^28, whose sums reach past 2^53 (where float64 would round) but not past int64."""
    from quantlogic.quant.intnet import int_matmul, threshold_codes

    rng = np.random.default_rng(seed)
    a = rng.integers(-magnitude, magnitude + 1, size=(n, k))
    b = rng.integers(-magnitude, magnitude + 1, size=(k, m))
    got = int_matmul(a, b)
    assert got.dtype == np.int64 and np.array_equal(got, (a.astype(object) @ b.astype(object)).astype(np.int64))
    T = np.sort(rng.integers(-50, 50, size=(m, int(rng.integers(1, 20)))), axis=1)
    acc = rng.integers(-60, 60, size=(n, m))
    assert np.array_equal(threshold_codes(acc, T), (acc[:, :, None] >= T[None]).sum(axis=2))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2 ** 31), bits, st.integers(2, 40), st.sampled_from([1.0, 0.1, 1000.0]))
def test_input_thresholds_keep_off_the_calibration_values(seed, ibits, n_values, unit):
    """Integer-valued (or gridded) features: the encoding's thresholds never lie within float32 rounding of a
    calibration value, and off_the_values keeps every code of the rows while moving thresholds put on them."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-n_values // 2, n_values // 2 + 1, size=300) * unit
    thresholds = input_encoding(x, ibits)[0]
    values = np.unique(x)
    near = np.min(np.abs(values[None, :] - thresholds[:, None]), axis=1)
    spread = values[-1] - values[0]
    assert np.all(near >= 1e-6 * (np.abs(thresholds) + spread))
    assert np.array_equal(encode(x.astype(np.float32), thresholds.astype(np.float32)), encode(x, thresholds))
    on = np.sort(rng.choice(values, size=min(len(values), 2 ** ibits - 1), replace=False)) * (1 + 1e-12)
    moved = off_the_values(x, on)
    assert np.array_equal(encode(x, moved), encode(x, on)) and np.all(np.diff(moved) > 0)
    assert np.all(np.min(np.abs(values[None, :] - moved[:, None]), axis=1) > 1e-6 * (spread + 1))
