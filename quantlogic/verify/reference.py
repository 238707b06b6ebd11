"""A second proof of a sum word when algebra runs out of budget: the word's cone, cut at its inputs, is
compared by equivalence checking with an independently built reference (signed ripple-carry accumulation
of w_i * value_i - offset, in two's complement)."""
from ..ir.aig import AIG, FALSE, TRUE, copy_cone, neg
from . import algebra

MAX_STOPS = 64  # free inputs of a sum checked this way (beyond, SAT on adder miters is no longer cheap)


def extract(aig, lits, stops):
    """(AIG whose inputs are the stop nodes, the literals lits in it), or None when a cone of lits
    reaches a primary input that is not a stop."""
    out = AIG()
    mapped = {0: FALSE}
    for node in sorted(stops):
        mapped[node] = out.add_input(f"s{node}")
    if copy_cone(aig, lits, mapped, out) is None:
        return None
    return out, [mapped[lit >> 1] ^ (lit & 1) for lit in lits]


def _full_add(aig, a, b, carry):
    x = aig.xor(a, b)
    return aig.xor(x, carry), aig.or_(aig.and_(a, b), aig.and_(carry, x))


def _add(aig, acc, term, carry=FALSE):
    out = []
    for a, b in zip(acc, term):
        s, carry = _full_add(aig, a, b, carry)
        out.append(s)
    return out


def accumulate(aig, words, weights, constant, width):
    """Two's complement word (width bits) of sum_i weights[i] * value(words[i]) + constant."""
    acc = [TRUE if (int(constant) >> k) & 1 else FALSE for k in range(width)]
    for word, w in zip(words, weights):
        w = int(w)
        for shift in range(abs(w).bit_length()):
            if not (abs(w) >> shift) & 1:
                continue
            term = ([FALSE] * shift + list(word) + [FALSE] * width)[:width]
            acc = _add(aig, acc, term) if w > 0 else _add(aig, acc, [neg(t) for t in term], TRUE)
    return acc


def _value_range(word):
    """(least, greatest) value of a word whose non-constant bits are free."""
    return (sum(1 << j for j, lit in enumerate(word) if lit == TRUE),
            sum(1 << j for j, lit in enumerate(word) if lit != FALSE))


def sum_equals_reference(aig, word, words, weights, offset):
    """True when value(word) = sum_i w_i value(words_i) - offset is proved for every value of the used
    words' (structurally independent) nodes; False when it is not proved (different, or undecided)."""
    from .cec import equivalent

    used = [i for i, w in enumerate(weights) if int(w)]
    stops = algebra.independent_stops(aig, {lit >> 1 for i in used for lit in words[i]} - {0})
    if len(stops) > MAX_STOPS:
        return False
    ranges = [_value_range(words[i]) for i in used]
    lo = sum(min(int(weights[i]) * a, int(weights[i]) * b) for i, (a, b) in zip(used, ranges)) - int(offset)
    hi = sum(max(int(weights[i]) * a, int(weights[i]) * b) for i, (a, b) in zip(used, ranges)) - int(offset)
    if lo < 0 or hi >= 1 << len(word):
        return False  # the word cannot hold every value the free inputs give
    inputs = [lit for i in used for lit in words[i]]
    found = extract(aig, list(word) + inputs, stops)
    if found is None:
        return False
    circuit, lits = found
    ours, rest = lits[:len(word)], lits[len(word):]
    in_words, start = [], 0
    for i in used:
        in_words.append(rest[start:start + len(words[i])])
        start += len(words[i])
    width = max(lo.bit_length(), hi.bit_length(), abs(int(offset)).bit_length()) + 2 + len(word)
    ref = accumulate(circuit, in_words, [weights[i] for i in used], -int(offset), width)[:len(word)]
    theirs = circuit.copy()
    for k, (x, y) in enumerate(zip(ours, ref)):
        circuit.add_output(f"w{k}", x)
        theirs.add_output(f"w{k}", y)
    return equivalent(circuit, theirs).ok


def part_equals_reference(aig, words, word, ref_aig, ref_words, ref_word):
    """The verdict of: `word` of aig, as a function of its layer's input words, equals `ref_word` of a proved
    reference lowering as a function of its layer's input words, position by position; or None when the two
    cannot be compared. Both circuits' input words must be proved to compute the same values position by
    position (the layers before, proved in both): a position is then one free variable, or the constant
    either circuit has there, and a node at several positions of one circuit ties them in the other.
    A counterexample gives the free variables in the order their positions first come. Used for a neuron
    or logit whose own proof did not go through."""
    from .cec import equivalent

    ours, theirs = AIG(), AIG()
    ours_map, theirs_map = {0: FALSE}, {0: FALSE}
    for w, r in zip(words, ref_words, strict=True):
        if len(w) != len(r):
            return None
        for a, b in zip(w, r):
            known_a, known_b = a >> 1 in ours_map, b >> 1 in theirs_map
            if not known_a and not known_b:
                free = ours.add_input(f"s{ours.n_inputs}")
                theirs.add_input(f"s{theirs.n_inputs}")
                ours_map[a >> 1], theirs_map[b >> 1] = free ^ (a & 1), free ^ (b & 1)
            elif not known_b:
                theirs_map[b >> 1] = ours_map[a >> 1] ^ (a & 1) ^ (b & 1)
            elif not known_a:
                ours_map[a >> 1] = theirs_map[b >> 1] ^ (b & 1) ^ (a & 1)
            elif ours_map[a >> 1] ^ (a & 1) != theirs_map[b >> 1] ^ (b & 1):
                return None  # two variables here are one there: not expressible over shared inputs
    if len(word) != len(ref_word) or copy_cone(aig, word, ours_map, ours) is None \
            or copy_cone(ref_aig, ref_word, theirs_map, theirs) is None:
        return None
    for k, (x, y) in enumerate(zip(word, ref_word)):
        ours.add_output(f"w{k}", ours_map[x >> 1] ^ (x & 1))
        theirs.add_output(f"w{k}", theirs_map[y >> 1] ^ (y & 1))
    return equivalent(ours, theirs)
