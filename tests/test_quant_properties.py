"""Property tests of the quantizers: codes in range, thresholds sorted, requantizing changes nothing."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantlogic.quant.schemes import activation_range, encode, input_encoding, quantize_rows

floats = st.floats(-100, 100, allow_nan=False, width=32)
bits = st.integers(1, 8)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)), elements=floats), bits)
def test_weight_codes_in_range_and_requantizing_is_identity(W, wbits):
    Wq, scale = quantize_rows(W, wbits)
    qmax = 1 if wbits == 1 else 2 ** (wbits - 1) - 1
    assert Wq.dtype == np.int64 and np.all(np.abs(Wq) <= qmax) and np.all(scale > 0)
    Wq2, scale2 = quantize_rows(Wq * scale[:, None], wbits)
    nonzero = np.any(Wq != 0, axis=1) & (np.abs(Wq).max(axis=1) == qmax)
    assert np.array_equal(Wq2[nonzero], Wq[nonzero])
    np.testing.assert_allclose(scale2[nonzero], scale[nonzero], rtol=1e-9)


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
