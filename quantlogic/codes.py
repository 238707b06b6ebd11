"""Conversions between integer codes and the circuit's pin bits (bit j of code i -> input x{i}_{j})."""
import numpy as np


def codes_to_bits(codes, bits):
    """(N, F) integer codes -> (N, F * bits) bools in pin order x0_0, x0_1, ..., x1_0, ..."""
    codes = np.asarray(codes, dtype=np.int64)
    return ((codes[:, :, None] >> np.arange(bits)) & 1).reshape(len(codes), -1).astype(bool)


def bits_to_ints(bits):
    """(N, k) bools, least significant first -> (N,) integers."""
    bits = np.asarray(bits, dtype=np.int64)
    return (bits << np.arange(bits.shape[1])).sum(axis=1)
