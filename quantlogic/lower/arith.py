"""Arithmetic building blocks on an AIG: weighted sums as compressed dot diagrams, comparators, argmax.

A word is a list of literals, least significant bit first, read as an unsigned integer.
"""
from ..ir.aig import FALSE, TRUE, neg


def full_adder(aig, a, b, c):
    """(sum, carry) in 7 ANDs; the AND of a and b is shared by the XOR and the carry."""
    ab = aig.and_(a, b)
    x = aig.and_(neg(ab), neg(aig.and_(neg(a), neg(b))))
    xc = aig.and_(x, c)
    s = aig.and_(neg(xc), neg(aig.and_(neg(x), neg(c))))
    return s, aig.or_(ab, xc)


def half_adder(aig, a, b):
    """(sum, carry) in 3 ANDs."""
    ab = aig.and_(a, b)
    return aig.and_(neg(ab), neg(aig.and_(neg(a), neg(b)))), ab


def dot_diagram(words, weights, constant=0):
    """(columns of literals, offset) with sum of dots + offset = sum_i weights[i] * value(words[i]) + constant.
    A negative weight contributes complemented bits: -x * 2^k = (1 - x) * 2^k - 2^k."""
    columns = []
    offset = int(constant)
    for word, w in zip(words, weights):
        w = int(w)
        for b in range(abs(w).bit_length()):
            if not (abs(w) >> b) & 1:
                continue
            for j, lit in enumerate(word):
                if lit == FALSE:
                    continue
                add_dot(columns, lit if w > 0 else neg(lit), b + j)
                if w < 0:
                    offset -= 1 << (b + j)
    return columns, offset


def add_dot(columns, lit, col):
    while len(columns) <= col:
        columns.append([])
    columns[col].append(lit)


def add_constant(columns, value):
    """Add a non-negative constant to a dot diagram as constant-true dots."""
    for b in range(int(value).bit_length()):
        if (value >> b) & 1:
            add_dot(columns, TRUE, b)


def compress(aig, columns):
    """Reduce a dot diagram (columns of literals) to one word with full and half adders."""
    columns = [list(col) for col in columns]
    word = []
    k = 0
    while k < len(columns):
        col = [lit for lit in columns[k] if lit != FALSE]
        carries = []
        while len(col) >= 3:
            s, c = full_adder(aig, col.pop(0), col.pop(0), col.pop(0))
            col.append(s)
            carries.append(c)
        if len(col) == 2:
            s, c = half_adder(aig, col[0], col[1])
            col = [s]
            carries.append(c)
        if carries:
            if k + 1 == len(columns):
                columns.append([])
            columns[k + 1].extend(carries)
        word.append(col[0] if col else FALSE)
        k += 1
    return word


def at_least(aig, word, k):
    """Literal of value(word) >= k for a constant k."""
    if k <= 0:
        return TRUE
    if k >= 1 << len(word):
        return FALSE
    result = TRUE
    for i, lit in enumerate(word):
        result = aig.and_(lit, result) if (k >> i) & 1 else aig.or_(lit, result)
    return result


def thermometer_to_binary(aig, ge, bits):
    """Binary word of #{k : ge[k]} for monotone ge (ge[k] implies ge[k-1]): bit j is set exactly on the
    runs of counts [r, r + 2^j) with bit j of r set, and a run is ge[r - 1] and not ge[r + 2^j - 1]."""
    levels = len(ge)
    word = []
    for j in range(bits):
        step = 1 << j
        runs = []
        for start in range(step, levels + 1, 2 * step):
            above = start + step  # first count past the run
            runs.append(aig.and_(ge[start - 1], neg(ge[above - 1])) if above <= levels else ge[start - 1])
        word.append(aig.or_all(runs))
    return word


def majority(aig, a, b, c):
    """MAJ(a, b, c) in 4 ANDs."""
    return aig.or_(aig.and_(a, b), aig.and_(c, aig.or_(a, b)))


def greater_than(aig, a, b):
    """Literal of value(a) > value(b), words of equal width: a ripple of MAJ(a_i, not b_i, below)."""
    result = FALSE
    for x, y in zip(a, b):
        result = majority(aig, x, neg(y), result)
    return result


def argmax(aig, words):
    """(index word, matches) of the largest of equal-width words, ties to the smallest index, as a
    tournament of compare-and-select matches; a match is (left, right, winner), each an (word, index) pair,
    and takes the right entry only when its word is strictly greater (the left holds the smaller indices)."""
    index_bits = max(1, (len(words) - 1).bit_length())
    entries = [(list(w), [TRUE if (c >> j) & 1 else FALSE for j in range(index_bits)]) for c, w in enumerate(words)]
    matches = []
    for left, right in tournament_pairs(entries, matches):
        take_right = greater_than(aig, right[0], left[0])
        winner = ([aig.mux(take_right, r, l) for r, l in zip(right[0], left[0])],
                  [aig.mux(take_right, r, l) for r, l in zip(right[1], left[1])])
        matches.append((left, right, winner))
    return entries_winner(entries, matches)[1], matches


def max_word(aig, words):
    """(word, steps) of the largest of equal-width unsigned words (a max-pool of codes), as a tournament of
    steps (left, right, larger); a step takes the right word when it is strictly greater."""
    steps = []
    for left, right in tournament_pairs([list(w) for w in words], steps):
        take_right = greater_than(aig, right, left)
        steps.append((left, right, [aig.mux(take_right, r, l) for r, l in zip(right, left)]))
    return (steps[-1][2] if steps else list(words[0])), steps


def tournament_pairs(entries, matches):
    """Yield the (left, right) pairs of a knockout tournament over entries; the caller appends each
    match (left, right, winner) to matches before asking for the next pair."""
    entries = list(entries)
    while len(entries) > 1:
        merged = []
        for left, right in zip(entries[0::2], entries[1::2]):
            yield left, right
            merged.append(matches[-1][2])
        if len(entries) % 2:
            merged.append(entries[-1])
        entries = merged


def entries_winner(entries, matches):
    return matches[-1][2] if matches else entries[0]


def level_word(aig, code_word, levels):
    """Word of levels[code] for a code word: each bit a minimized sum of products of the code bits."""
    from ..pyeda_bridge import espresso_cover

    width = max(1, int(max(levels)).bit_length())
    size = 1 << len(code_word)
    padded = [int(levels[min(c, len(levels) - 1)]) for c in range(size)]
    word = []
    for b in range(width):
        cubes = espresso_cover([(v >> b) & 1 for v in padded], len(code_word))
        word.append(aig.or_all(aig.and_all(code_word[k] if positive else neg(code_word[k]) for k, positive in cube)
                               for cube in cubes))
    return word
