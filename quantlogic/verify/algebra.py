"""Algebraic proof of a sum word: rewrite sum_k 2^k s_k backwards through the AND gates (AND = ab,
NOT = 1 - a, multilinear since x^2 = x) down to the neuron's input literals, and compare the polynomial
with sum_i w_i value(word_i) - offset, as multiplier verifiers do.

A polynomial is {monomial: coefficient}; a monomial is a tuple of variables sorted descending, where an
AND node n is the variable n and a stop (input) node n is -n, so the leading variable is always the next
AND node to rewrite.
"""
import heapq

MAX_TERMS = 20_000


def _literal(lit, stop):
    node = lit >> 1
    if node == 0:
        return {(): lit & 1}
    var = -node if node in stop else node
    return {(): 1, (var,): -1} if lit & 1 else {(var,): 1}


def _merge(a, b):
    return tuple(sorted(set(a) | set(b), reverse=True))


def _product(p, q):
    out = {}
    for m, c in p.items():
        for n, d in q.items():
            key = _merge(m, n)
            out[key] = out.get(key, 0) + c * d
    return out


def linear_polynomial(words, weights, constant, stop):
    """The polynomial of sum_i weights[i] * value(words[i]) + constant over stop-node variables."""
    poly = {(): int(constant)}
    for word, w in zip(words, weights):
        for j, lit in enumerate(word):
            for m, c in _literal(lit, stop).items():
                poly[m] = poly.get(m, 0) + int(w) * (c << j)
    return {m: c for m, c in poly.items() if c}


class TooLarge(Exception):
    """The polynomial outgrew its budget: the word is not a plain sum of its inputs."""


def word_polynomial(aig, word, stop, budget=MAX_TERMS):
    """Backward rewriting of sum_k 2^k word[k] down to the stop nodes. A primary input reached that is
    not a stop node stays a variable (then the comparison fails). Raises TooLarge past budget terms."""
    base = 1 + aig.n_inputs
    size = 0
    buckets = {}
    heap = []

    def add(m, c):
        lead = m[0] if m and m[0] >= base else 0
        bucket = buckets.get(lead)
        if bucket is None:
            bucket = buckets[lead] = {}
            if lead:
                heapq.heappush(heap, -lead)
        nonlocal size
        value = bucket.get(m, 0) + c
        if value:
            size += m not in bucket
            bucket[m] = value
        elif m in bucket:
            size -= 1
            del bucket[m]
        if size > budget:
            raise TooLarge(f"more than {budget} terms")

    for k, lit in enumerate(word):
        for m, c in _literal(lit, stop).items():
            add(m, c << k)
    while heap:
        node = -heapq.heappop(heap)
        bucket = buckets.pop(node)
        k = node - base
        gate = _product(_literal(aig.fanin0[k], stop), _literal(aig.fanin1[k], stop))
        for m, c in bucket.items():
            for n, d in gate.items():
                add(_merge(m[1:], n), c * d)
    return {m: c for m, c in buckets.get(0, {}).items() if c}


def difference(aig, word, words, weights, offset):
    """Polynomial of value(word) - (sum_i w_i value(words_i) - offset): empty when the word is proved,
    None when rewriting outgrew its budget (not proved, no witness)."""
    stop = {lit >> 1 for w in words for lit in w} - {0}
    try:
        got = word_polynomial(aig, word, stop)
    except TooLarge:
        return None
    want = linear_polynomial(words, weights, -offset, stop)
    for m, c in want.items():
        got[m] = got.get(m, 0) - c
    return {m: c for m, c in got.items() if c}


def witness(diff):
    """Node values (node -> 0/1) under which a non-zero polynomial is non-zero: its smallest monomial's
    variables set to 1, all others 0."""
    smallest = min(diff, key=lambda m: (len(m), m))
    return {abs(v): 1 for v in smallest}
