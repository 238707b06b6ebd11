"""Bit-parallel AIG simulation: 64 patterns per uint64 word, blocks of words in parallel, and node values
kept in a few reusable slots (freed after their last use) so the working set stays in cache."""
import numba
import numpy as np

from .config import BLOCK_WORDS, NJIT


@numba.njit(**NJIT)
def _assign_slots(fanin0, fanin1, n_inputs, outputs):
    """Slot of every node: a node's slot is released after its last reader; outputs are kept."""
    n_nodes = 1 + n_inputs + len(fanin0)
    base = 1 + n_inputs
    last_use = np.zeros(n_nodes, dtype=np.int64)
    for k in range(len(fanin0)):
        last_use[fanin0[k] >> 1] = base + k
        last_use[fanin1[k] >> 1] = base + k
    for lit in outputs:
        last_use[lit >> 1] = n_nodes
    slot = np.zeros(n_nodes, dtype=np.int64)  # node 0 (constant) lives in slot 0
    free = np.empty(n_nodes, dtype=np.int64)
    n_free = 0
    n_slots = 1
    for node in range(1, n_nodes):
        if node >= base:
            k = node - base
            for lit in (fanin0[k], fanin1[k]):
                child = lit >> 1
                if child != 0 and last_use[child] == node:
                    free[n_free] = slot[child]
                    n_free += 1
                    last_use[child] = -1  # released once even when both fan-ins are the same node
        if n_free > 0:
            n_free -= 1
            slot[node] = free[n_free]
        else:
            slot[node] = n_slots
            n_slots += 1
    return slot, n_slots


@numba.njit(parallel=True, **NJIT)
def _simulate(fanin0, fanin1, n_inputs, outputs, slot, n_slots, inputs, block):
    n_words = inputs.shape[1]
    base = 1 + n_inputs
    out = np.empty((len(outputs), n_words), dtype=np.uint64)
    n_blocks = (n_words + block - 1) // block
    for blk in numba.prange(n_blocks):
        lo = blk * block
        width = min(block, n_words - lo)
        values = np.zeros((n_slots, block), dtype=np.uint64)
        for i in range(n_inputs):
            s = slot[1 + i]
            for w in range(width):
                values[s, w] = inputs[i, lo + w]
        for k in range(len(fanin0)):
            a = fanin0[k]
            b = fanin1[k]
            sa = slot[a >> 1]
            sb = slot[b >> 1]
            ma = np.uint64(0) - np.uint64(a & 1)
            mb = np.uint64(0) - np.uint64(b & 1)
            s = slot[base + k]
            for w in range(width):
                values[s, w] = (values[sa, w] ^ ma) & (values[sb, w] ^ mb)
        for o in range(len(outputs)):
            lit = outputs[o]
            m = np.uint64(0) - np.uint64(lit & 1)
            s = slot[lit >> 1]
            for w in range(width):
                out[o, lo + w] = values[s, w] ^ m
    return out


@numba.njit(**NJIT)
def _node_words(fanin0, fanin1, n_inputs, inputs, out, column):
    """out[node, column + w] = value of every node under input words inputs[:, w]."""
    base = 1 + n_inputs
    for w in range(inputs.shape[1]):
        c = column + w
        out[0, c] = 0
        for i in range(n_inputs):
            out[1 + i, c] = inputs[i, w]
        for k in range(len(fanin0)):
            a = fanin0[k]
            b = fanin1[k]
            ma = np.uint64(0) - np.uint64(a & 1)
            mb = np.uint64(0) - np.uint64(b & 1)
            out[base + k, c] = (out[a >> 1, c] ^ ma) & (out[b >> 1, c] ^ mb)


def node_words(fanin0, fanin1, n_inputs, input_words, out, column=0):
    """Write the value of every node (constant, inputs, ANDs) under input_words (n_inputs, W) into
    out[:, column:column + W] (uint64, one row per node)."""
    input_words = np.ascontiguousarray(input_words, dtype=np.uint64)
    n_nodes = 1 + n_inputs + len(fanin0)
    if input_words.ndim != 2 or input_words.shape[0] != n_inputs:
        raise ValueError(f"expected input words of shape ({n_inputs}, W), got {input_words.shape}")
    if out.dtype != np.uint64 or out.shape[0] != n_nodes or column + input_words.shape[1] > out.shape[1]:
        raise ValueError(f"out must be uint64 with {n_nodes} rows and room for {input_words.shape[1]} words")
    _node_words(fanin0, fanin1, n_inputs, input_words, out, column)


@numba.njit(**NJIT)
def enumeration_word(t, w):
    """Word w of input t when every input pattern is enumerated (pattern p sets input t to bit t of p)."""
    if t >= 6:
        return ~np.uint64(0) if (w >> (t - 6)) & 1 else np.uint64(0)
    word = np.uint64(0)
    for p in range(64):
        if (p >> t) & 1:
            word |= np.uint64(1) << np.uint64(p)
    return word


MAX_ENUMERATED_INPUTS = 30  # 2^24 words per input


def all_input_words(n_inputs):
    """Input words (n_inputs, max(1, 2^(n_inputs - 6))) enumerating every pattern of n_inputs bits."""
    if not 0 <= int(n_inputs) <= MAX_ENUMERATED_INPUTS:
        raise ValueError(f"enumerating every pattern of {n_inputs} inputs is beyond {MAX_ENUMERATED_INPUTS}")
    return _all_input_words(int(n_inputs))


@numba.njit(**NJIT)
def _all_input_words(n_inputs):
    n_words = max(1, 1 << max(0, n_inputs - 6))
    words = np.empty((n_inputs, n_words), dtype=np.uint64)
    for t in range(n_inputs):
        for w in range(n_words):
            words[t, w] = enumeration_word(t, w)
    return words


@numba.njit(**NJIT)
def _truth_hashes(fanin0, fanin1, n_inputs, block):
    """(n_nodes, 3): two 64-bit hashes of each node's whole truth table, complemented so that the row of
    input pattern 0 is 0, and that row's value (the phase)."""
    n_nodes = 1 + n_inputs + len(fanin0)
    n_words = max(1, 1 << max(0, n_inputs - 6))
    valid = ~np.uint64(0) if n_inputs >= 6 else (np.uint64(1) << np.uint64(1 << n_inputs)) - np.uint64(1)
    out = np.zeros((n_nodes, 3), dtype=np.uint64)
    values = np.empty((n_nodes, block), dtype=np.uint64)
    inputs = np.empty((n_inputs, block), dtype=np.uint64)
    for lo in range(0, n_words, block):
        width = min(block, n_words - lo)
        for t in range(n_inputs):
            for w in range(width):
                inputs[t, w] = enumeration_word(t, lo + w)
        _node_words(fanin0, fanin1, n_inputs, inputs[:, :width], values, 0)
        for node in range(n_nodes):
            if lo == 0:
                out[node, 2] = values[node, 0] & np.uint64(1)
            flip = np.uint64(0) - out[node, 2]
            h1, h2 = out[node, 0], out[node, 1]
            for w in range(width):
                v = (values[node, w] ^ flip) & valid
                h1 = (h1 ^ v) * np.uint64(0x9E3779B97F4A7C15)
                h1 ^= h1 >> np.uint64(29)
                h2 = (h2 + v) * np.uint64(0xC2B2AE3D27D4EB4F)
                h2 ^= h2 >> np.uint64(31)
            out[node, 0], out[node, 1] = h1, h2
    return out


def truth_hashes(aig):
    """(n_nodes, 2) hashes of every node's whole truth table up to complement, and (n_nodes,) bool phase:
    the node's value under the all-zero input (equal functions up to complement: equal hashes)."""
    if aig.n_inputs > 24:
        raise ValueError(f"whole truth tables of {aig.n_inputs} inputs are too large")
    fanin0, fanin1, _ = aig.arrays()
    out = _truth_hashes(fanin0, fanin1, aig.n_inputs, 64)
    return out[:, :2], out[:, 2].astype(bool)


class Simulator:
    """Simulates one AIG many times; the slot plan is computed once."""

    def __init__(self, aig, outputs=None):
        self.fanin0, self.fanin1, default_outputs = aig.arrays()
        self.outputs = default_outputs if outputs is None else np.asarray(outputs, dtype=np.int64)
        self.n_inputs = aig.n_inputs
        self.slot, self.n_slots = _assign_slots(self.fanin0, self.fanin1, self.n_inputs, self.outputs)

    def words(self, input_words):
        """Output words (n_outputs, n_words) for input words (n_inputs, n_words) of uint64."""
        input_words = np.ascontiguousarray(input_words, dtype=np.uint64)
        if input_words.ndim != 2 or input_words.shape[0] != self.n_inputs:
            raise ValueError(f"expected input words of shape ({self.n_inputs}, n_words), got {input_words.shape}")
        return _simulate(self.fanin0, self.fanin1, self.n_inputs, self.outputs, self.slot, self.n_slots,
                         input_words, BLOCK_WORDS)

    def bits(self, input_bits):
        """Output bits (N, n_outputs) bool for input bits (N, n_inputs)."""
        input_bits = np.asarray(input_bits, dtype=bool)
        n = input_bits.shape[0]
        return unpack_words(self.words(pack_bits(input_bits)), n)


def pack_bits(bits):
    """(N, k) bools -> (k, ceil(N / 64)) uint64 words, pattern p in bit p % 64 of word p // 64."""
    n = bits.shape[0]
    padded = np.zeros((-(-n // 64) * 64, bits.shape[1]), dtype=bool)
    padded[:n] = bits
    packed = np.packbits(padded.T, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def unpack_words(words, n):
    """(k, n_words) uint64 -> (n, k) bools."""
    raw = np.ascontiguousarray(words.astype("<u8")).view(np.uint8)
    return np.unpackbits(raw, axis=1, bitorder="little")[:, :n].T.astype(bool)

