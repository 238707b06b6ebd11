"""Words of a circuit as integer polynomials, by ABC's algebraic engine (&polyn: backward rewriting from the
word's value, sum of 2^k times output k, to a polynomial over the inputs). The polynomial of a Boolean
function in multilinear form is unique, so a word whose polynomial is the IntNetwork's weighted sum computes
that sum on every input. Used for the logits, whose adder trees ABC's SAT engines and BDDs do not decide."""
import re

from .. import external
from ..formats.aiger import to_aig

TERM = re.compile(r"((?:[+-]2\^\d+)+)((?:\s*\*\s*i\d+)*)")


def abc_polynomial(aig, path, abc, timeout):
    """{monomial (sorted tuple of input names): coefficient} of the value of aig's outputs read as an unsigned
    word (output k has weight 2^k), by ABC's &polyn within timeout seconds; None when it does not finish or
    prints no polynomial."""
    path.write_bytes(to_aig(aig))
    out, finished = external.run([abc, "-c", f"&r {path.name}; &polyn -w"], path.parent, timeout)
    terms = parse_polynomial(out) if finished else None
    if terms is None:
        return None
    names = aig.input_names
    return _collected((tuple(sorted(names[i] for i in monomial)), coefficient)
                      for monomial, coefficient in terms.items())


def parse_polynomial(text):
    """{monomial (sorted tuple of input indices): coefficient} of the polynomial ABC's `&polyn -w` prints, or
    None when it printed none, or a term that is not over the inputs (ABC writes i-1 for a variable it left),
    or not as many terms as it announced. Each term reads like `-2^1-2^0 * i0 * i5` (a coefficient as signed
    powers of two, then its inputs); `|` starts a group of terms."""
    header = re.search(r"Polynomial with (\d+) monomials:\n", text)
    if header is None:
        return None
    terms = []
    for line in text[header.end():].splitlines():
        line = line.strip().lstrip("|").strip()
        if not line:
            continue
        match = TERM.fullmatch(line)
        if match is None:
            return None
        coefficient = sum((1 if sign == "+" else -1) << int(power)
                          for sign, power in re.findall(r"([+-])2\^(\d+)", match.group(1)))
        terms.append((tuple(sorted(int(i) for i in re.findall(r"i(\d+)", match.group(2)))), coefficient))
    return _collected(terms) if len(terms) == int(header.group(1)) else None


def word_polynomial(word):
    """{monomial: coefficient} of the unsigned value of a word whose bits are the Verilog expressions in word,
    least significant first: a port name, ~name (1 - name) or a constant 1'b0 / 1'b1."""
    terms = []
    for bit, expression in enumerate(word):
        if expression == "1'b1":
            terms.append(((), 1 << bit))
        elif expression.startswith("~"):
            terms += [((), 1 << bit), ((expression[1:],), -(1 << bit))]
        elif expression != "1'b0":
            terms.append(((expression,), 1 << bit))
    return _collected(terms)


def table_polynomial(values, pins):
    """{monomial: coefficient} of the multilinear polynomial over pins (least significant first) whose value on
    the code of those bits is values[code] (Moebius inversion)."""
    coefficients = [int(v) for v in values]
    for k in range(len(pins)):
        for code in range(len(coefficients)):
            if code >> k & 1:
                coefficients[code] -= coefficients[code ^ (1 << k)]
    return _collected((tuple(sorted(pins[k] for k in range(len(pins)) if code >> k & 1)), c)
                      for code, c in enumerate(coefficients))


def weighted_sum_polynomial(weights, constant, polynomials):
    """{monomial: coefficient} of constant + sum_j weights[j] * polynomials[j]."""
    terms = [((), int(constant))]
    for weight, polynomial in zip(weights, polynomials):
        terms += [(monomial, int(weight) * c) for monomial, c in polynomial.items()]
    return _collected(terms)


def _collected(terms):
    """{monomial: coefficient} of (monomial, coefficient) pairs, equal monomials added, zeros left out."""
    total = {}
    for monomial, coefficient in terms:
        total[monomial] = total.get(monomial, 0) + coefficient
    return {monomial: c for monomial, c in total.items() if c}
