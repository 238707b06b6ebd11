"""Algebraic proof of a sum word: rewrite sum_k 2^k s_k backwards through the AND gates (AND = ab,
NOT = 1 - a, multilinear since x^2 = x) down to stop nodes, and compare the polynomial with
sum_i w_i value_i - offset, as multiplier verifiers do.

A polynomial is {monomial: coefficient}; a monomial is a tuple of variables sorted descending, where an
AND node n is the variable n and a stop node n is -n, so the leading variable is always the next AND node
to rewrite. Equal polynomials prove equal functions whatever the stops compute (sound for any stops); over
free variables (primary inputs) a non-zero difference is also a real one (multilinear polynomials are
canonical), so `witness` gives input values where the word is wrong.
"""
import heapq

from ..ir.aig import AIG
from .limits import effort
from .reachable import vanishes_on_reachable_values

MIN_TERMS = 20_000
TERMS_PER_DOT = 32  # measured: backward rewriting of compressed dot diagrams peaks below ~20 terms a dot
REDUCIBLE_SEARCH = 64  # nodes searched below a stop for other stops it is a function of


def _literal(lit, stop):
    node = lit >> 1
    if node == 0:
        return {(): lit & 1}
    var = -node if node in stop else node
    return {(): 1, (var,): -1} if lit & 1 else {(var,): 1}


def _merge(a, b):
    """The monomial a*b (x^2 = x) of two monomials sorted descending; b is mostly one or two variables."""
    for x in b:
        for i, y in enumerate(a):
            if y <= x:
                if y != x:
                    a = a[:i] + (x,) + a[i:]
                break
        else:
            a = a + (x,)
    return a


def _product(p, q):
    out = {}
    for m, c in p.items():
        for n, d in q.items():
            key = _merge(m, n)
            out[key] = out.get(key, 0) + c * d
    return out


def _add_into(total, poly, scale=1):
    for m, c in poly.items():
        total[m] = total.get(m, 0) + scale * c
    return total


def _clean(poly):
    return {m: c for m, c in poly.items() if c}


class TooLarge(Exception):
    """The polynomial outgrew its budget."""


def budget_for(polys, weights):
    """Term budget of one neuron's proof: grows with its dots (weight bits x terms of each input's value),
    so the cost per neuron does not depend on the width of its layer."""
    dots = sum(bin(abs(int(w))).count("1") * max(1, len(p)) for p, w in zip(polys, weights))
    return (MIN_TERMS + TERMS_PER_DOT * dots) * effort()


class _NotBuilt(Exception):
    pass


class _Replay(AIG):
    """Runs a construction against an existing AIG without adding to it, recording the order in which
    the construction reaches each of its gates; raises _NotBuilt when a gate is missing."""

    def __init__(self, real):
        super().__init__()
        self.real = real
        self.order = {}

    def and_(self, a, b):
        lit = self.real.find_and(a, b)
        if lit is None:
            raise _NotBuilt
        self.order.setdefault(lit >> 1, len(self.order))
        return lit


def construction_order(aig, build):
    """{node: position} of the gates that build(aig-like) reaches, in the order it reaches them, or None
    when the circuit does not contain that construction. Rewriting in reverse of the order a sum was built
    in eliminates each full adder's gates together, even where they are shared with another neuron's
    (in descending node numbers a shared gate waits behind every gate built after it, and the polynomial
    grows with the products it leaves behind)."""
    replay = _Replay(aig)
    try:
        build(replay)
    except _NotBuilt:
        return None
    return replay.order


def word_polynomial(aig, word, stop, budget=MIN_TERMS, order=None):
    """Backward rewriting of sum_k 2^k word[k] down to the stop nodes, in reverse of order ({node:
    position}, see construction_order; node numbers when None or when it misses a gate of the cone). A
    primary input reached that is not a stop node stays a variable. Raises TooLarge past budget terms."""
    base = 1 + aig.n_inputs
    cone = aig.cone(word, stop=stop)
    if order is None or any(node not in order for node in cone):
        order = {node: node for node in cone}
    gates = sorted(cone, key=order.get)
    rank = {node: base + r for r, node in enumerate(gates)}  # AND variables, above every input variable

    def literal(lit):
        node = lit >> 1
        if node == 0:
            return {(): lit & 1}
        var = -node if node in stop else rank.get(node, node)
        return {(): 1, (var,): -1} if lit & 1 else {(var,): 1}

    size = 0
    buckets = {}
    heap = []

    def add(m, c):
        nonlocal size
        lead = m[0] if m and m[0] >= base else 0
        bucket = buckets.get(lead)
        if bucket is None:
            bucket = buckets[lead] = {}
            if lead:
                heapq.heappush(heap, -lead)
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
        for m, c in literal(lit).items():
            add(m, c << k)
    while heap:
        var = -heapq.heappop(heap)
        bucket = buckets.pop(var)
        k = gates[var - base] - base
        gate = _product(literal(aig.fanin0[k]), literal(aig.fanin1[k]))
        for m, c in bucket.items():
            for n, d in gate.items():
                add(_merge(m[1:], n), c * d)
    return _clean(buckets.get(0, {}))


def level_polynomial(code_word, levels, stop):
    """The multilinear polynomial of levels[code] over the code word's literals (Moebius transform of the
    level table: the coefficient of the bits in S is the alternating sum of levels over the subsets of S)."""
    n = len(code_word)
    table = [int(levels[min(c, len(levels) - 1)]) for c in range(1 << n)]
    for bit in range(n):
        for mask in range(1 << n):
            if mask >> bit & 1:
                table[mask] -= table[mask ^ (1 << bit)]
    poly = {}
    for mask, coefficient in enumerate(table):
        if coefficient:
            term = {(): 1}
            for bit in range(n):
                if mask >> bit & 1:
                    term = _product(term, _literal(code_word[bit], stop))
            _add_into(poly, term, coefficient)
    return _clean(poly)


def independent_stops(aig, stops):
    """The stops that are not, within a small search, AND functions of the other stops. Strashing can make
    a gate built over stops coincide with a stop node; rewriting then has to go through that node, or the
    identity would only hold under the relation between the stops."""
    base = 1 + aig.n_inputs
    kept = set(stops)
    for node in sorted(stops, reverse=True):
        if node < base:
            continue
        others = kept - {node}
        seen, stack, reducible = set(), [node], True
        while stack and reducible:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if len(seen) > REDUCIBLE_SEARCH or current < base:
                reducible = False
                break
            k = current - base
            for child in (aig.fanin0[k] >> 1, aig.fanin1[k] >> 1):
                if child and child not in others:
                    stack.append(child)
        if reducible:
            kept.discard(node)
    return kept


def value_polynomials(aig, words, stop, levels=None, budget=MIN_TERMS):
    """Polynomial of each input word's value over the stop variables: levels[i] (a level table over the
    word's code bits) when given, else the word read as an unsigned integer; literals whose nodes are not
    stops are rewritten down to the stops."""
    polys = []
    for i, word in enumerate(words):
        if levels is not None and levels[i] is not None:
            polys.append(level_polynomial(word, levels[i], stop))
            continue
        poly = {}
        for j, lit in enumerate(word):
            part = _literal(lit, stop) if lit >> 1 in stop or lit >> 1 == 0 else word_polynomial(aig, [lit], stop,
                                                                                                 budget)
            _add_into(poly, part, 1 << j)
        polys.append(_clean(poly))
    return polys


def difference(aig, word, words, weights, offset, levels=None, order=None):
    """Polynomial of value(word) - (sum_i w_i value_i - offset) over the used input words' nodes (levels[i]:
    the level table of word i, which is then a code word): empty when the word is proved; raises TooLarge
    when rewriting outgrew the neuron's budget. The used nodes are tried as free variables first; when that
    leaves a difference and some of them are gates over the others, again with those rewritten too."""
    used = [i for i, w in enumerate(weights) if int(w)]
    stops = {lit >> 1 for i in used for lit in words[i]} - {0}
    diff = _difference_over(aig, word, [words[i] for i in used], [weights[i] for i in used], offset,
                            None if levels is None else [levels[i] for i in used], stops, order)
    if diff and vanishes_on_reachable_values(aig, diff):  # stops that depend on each other, seen by SAT
        return {}
    independent = independent_stops(aig, stops) if diff else stops
    if independent != stops:
        diff = _difference_over(aig, word, [words[i] for i in used], [weights[i] for i in used], offset,
                                None if levels is None else [levels[i] for i in used], independent, order)
    return diff


def _difference_over(aig, word, words, weights, offset, levels, stops, order):
    polys = value_polynomials(aig, words, stops, levels, MIN_TERMS * effort())
    got = word_polynomial(aig, word, stops, budget_for(polys, weights), order)
    want = {(): -int(offset)}
    for poly, w in zip(polys, weights):
        _add_into(want, poly, int(w))
    return _clean(_add_into(got, want, -1))


def free_variables(diff, n_inputs):
    """Whether every variable of the polynomial is a primary input (then a non-zero difference is real)."""
    return all(1 <= abs(v) <= n_inputs for m in diff for v in m)


def witness(diff):
    """Node values (node -> 1; all others 0) under which a non-zero polynomial over free variables is
    non-zero: its smallest monomial's variables set to 1."""
    smallest = min(diff, key=lambda m: (len(m), m))
    return {abs(v): 1 for v in smallest}
