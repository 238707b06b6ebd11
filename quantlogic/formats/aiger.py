"""AIGER 1.9 combinational circuits: binary (.aig) and ASCII (.aag), with symbol tables, and readers."""
from ..errors import QuantlogicError
from ..ir.aig import AIG
from .escape import aiger_symbol


def _header(kind, aig):
    return f"{kind} {aig.n_inputs + aig.n_ands} {aig.n_inputs} 0 {len(aig.output_lits)} {aig.n_ands}\n"


def _symbols(aig, comment):
    lines = [f"i{k} {aiger_symbol(name)}" for k, name in enumerate(aig.input_names)]
    lines += [f"o{k} {aiger_symbol(name)}" for k, name in enumerate(aig.output_names)]
    return "\n".join(lines) + ("\n" if lines else "") + "c\n" + comment + "\n"


def to_aag(aig, comment="quantlogic"):
    lines = [_header("aag", aig).rstrip("\n")]
    lines += [str(2 * (k + 1)) for k in range(aig.n_inputs)]
    lines += [str(lit) for lit in aig.output_lits]
    base = 1 + aig.n_inputs
    lines += [f"{2 * (base + k)} {a} {b}" for k, (a, b) in enumerate(zip(aig.fanin0, aig.fanin1))]
    return "\n".join(lines) + "\n" + _symbols(aig, comment)


def _varint(x):
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return out


def to_aig(aig, comment="quantlogic"):
    data = bytearray(_header("aig", aig).encode())
    data += "".join(f"{lit}\n" for lit in aig.output_lits).encode()
    base = 1 + aig.n_inputs
    for k, (a, b) in enumerate(zip(aig.fanin0, aig.fanin1)):
        lhs = 2 * (base + k)
        data += _varint(lhs - a) + _varint(a - b)
    data += _symbols(aig, comment).encode()
    return bytes(data)


def _parse_header(line, kind):
    parts = line.split()
    if len(parts) < 6 or parts[0] != kind or not all(p.isdigit() for p in parts[1:6]):
        raise QuantlogicError(f"not an {kind} header: {line[:40]!r}")
    M, I, L, O, A = map(int, parts[1:6])
    if L:
        raise QuantlogicError("latches are not supported (combinational circuits only)")
    if M != I + A:
        raise QuantlogicError(f"AIGER header M={M} is not I+A={I + A}")
    return I, O, A


def _apply_symbols(lines, n_inputs, n_outputs):
    inputs = [f"i{k}" for k in range(n_inputs)]
    outputs = [f"o{k}" for k in range(n_outputs)]
    for line in lines:
        if line == "c":
            break
        if line[:1] in "io" and " " in line:
            key, name = line.split(" ", 1)
            index = int(key[1:])
            (inputs if key[0] == "i" else outputs)[index] = name
    return inputs, outputs


def from_aag(text):
    lines = text.splitlines()
    try:
        I, O, A = _parse_header(lines[0], "aag")
        body = lines[1:]
        outputs = [int(x) for x in body[I:I + O]]
        gates = [tuple(map(int, line.split())) for line in body[I + O:I + O + A]]
        for k, (lhs, a, b) in enumerate(gates):
            if lhs != 2 * (1 + I + k):
                raise QuantlogicError("AND gates must be numbered in order after the inputs")
        inputs, names = _apply_symbols(body[I + O + A:], I, O)
        return AIG.from_arrays(inputs, [g[1] for g in gates], [g[2] for g in gates], names, outputs)
    except (IndexError, ValueError) as exc:
        raise QuantlogicError(f"malformed ASCII AIGER: {exc}") from None


def from_aig(data):
    try:
        newline = data.index(b"\n")
        I, O, A = _parse_header(data[:newline].decode(), "aig")
        pos = newline + 1
        outputs = []
        for _ in range(O):
            end = data.index(b"\n", pos)
            outputs.append(int(data[pos:end]))
            pos = end + 1
        fanin0, fanin1 = [], []
        for k in range(A):
            lhs = 2 * (1 + I + k)
            d0, pos = _read_varint(data, pos)
            d1, pos = _read_varint(data, pos)
            fanin0.append(lhs - d0)
            fanin1.append(lhs - d0 - d1)
        inputs, names = _apply_symbols(data[pos:].decode().splitlines(), I, O)
        return AIG.from_arrays(inputs, fanin0, fanin1, names, outputs)
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        raise QuantlogicError(f"malformed binary AIGER: {exc}") from None


def _read_varint(data, pos):
    x, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        x |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return x, pos
        shift += 7
