"""BLIF and structural Verilog (assign statements only, readable by ABC, Yosys and iverilog), and a BLIF reader."""
import re

from ..errors import QuantlogicError
from ..ir.aig import AIG
from .escape import blif_name, comment_text, dot_string, verilog_name


def _gate_prefix(aig):
    """A prefix p such that no pin is named p<number>, so gate names never collide with pins."""
    prefix = "n"
    while any(re.fullmatch(re.escape(prefix) + r"\d+", name) for name in aig.input_names + aig.output_names):
        prefix += "_"
    return prefix


def _node_names(aig, spell):
    """Node number -> signal name (inputs by name, gates numbered), each spelt for the format."""
    names = {k + 1: spell(name) for k, name in enumerate(aig.input_names)}
    base = 1 + aig.n_inputs
    prefix = _gate_prefix(aig)
    for k in range(aig.n_ands):
        names[base + k] = f"{prefix}{base + k}"
    return names


def to_blif(aig, model="quantlogic"):
    names = _node_names(aig, blif_name)
    outputs = [blif_name(name) for name in aig.output_names]
    lines = [f".model {model}", ".inputs " + " ".join(names[k + 1] for k in range(aig.n_inputs)),
             ".outputs " + " ".join(outputs)]
    base = 1 + aig.n_inputs
    for k, (a, b) in enumerate(zip(aig.fanin0, aig.fanin1)):
        lines.append(f".names {names[a >> 1]} {names[b >> 1]} {names[base + k]}")
        lines.append(f"{1 - (a & 1)}{1 - (b & 1)} 1")
    for name, lit in zip(outputs, aig.output_lits):
        if lit >> 1 == 0:
            lines.append(f".names {name}" + ("\n1" if lit & 1 else ""))
        else:
            lines.append(f".names {names[lit >> 1]} {name}")
            lines.append(f"{1 - (lit & 1)} 1")
    lines.append(".end")
    return "\n".join(lines) + "\n"


def from_blif(text):
    """Read the BLIF subset to_blif writes (two-input single-cube ANDs, buffers, inverters, constants)."""
    aig = None
    signals = {}
    outputs = []
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    i = 0
    try:
        while i < len(lines):
            words = lines[i].split()
            if words[0] == ".inputs":
                aig = AIG()
                for name in words[1:]:
                    signals[name] = aig.add_input(name)
            elif words[0] == ".outputs":
                outputs = words[1:]
            elif words[0] == ".names":
                *ins, out = words[1:]
                cube = lines[i + 1].split() if i + 1 < len(lines) and not lines[i + 1].startswith(".") else None
                if cube is not None:
                    i += 1
                signals[out] = _cover(aig, [signals[n] for n in ins], cube)
            i += 1
        for name in outputs:
            aig.add_output(name, signals[name])
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise QuantlogicError(f"unsupported or malformed BLIF near line {i + 1}: {exc}") from None
    return aig


def _cover(aig, ins, cube):
    if cube is None:
        return 0
    pattern, value = (cube + ["1"])[:2] if ins else ("", cube[0])
    if value != "1" or len(pattern) != len(ins):
        raise ValueError("only single on-set cubes are supported")
    if not ins:
        return 1
    lits = [lit if ch == "1" else lit ^ 1 for lit, ch in zip(ins, pattern) if ch != "-"]
    return aig.and_all(lits)


def to_verilog(aig, module="quantlogic", header=()):
    """Structural Verilog (assign statements); header: comment lines put above the module."""
    names = _node_names(aig, verilog_name)
    inputs = [names[k + 1] for k in range(aig.n_inputs)]
    outputs = [verilog_name(name) for name in aig.output_names]

    def ref(lit):
        if lit >> 1 == 0:
            return "1'b1" if lit & 1 else "1'b0"
        return ("~" if lit & 1 else "") + names[lit >> 1]

    lines = [f"// {comment_text(line)}" for line in header] + [module_line(module, inputs + outputs)]
    if inputs:
        lines += declarations("input", inputs)
    lines += declarations("output", outputs)
    base = 1 + aig.n_inputs
    if aig.n_ands:
        lines += declarations("wire", [names[base + k] for k in range(aig.n_ands)])
    for k, (a, b) in enumerate(zip(aig.fanin0, aig.fanin1)):
        lines.append(f"  assign {names[base + k]} = {ref(a)} & {ref(b)};")
    for name, lit in zip(outputs, aig.output_lits):
        lines.append(f"  assign {name} = {ref(lit)};")
    lines.append("endmodule")
    return "\n".join(lines) + "\n"


def module_line(module, ports, per_line=32):
    """`module NAME (ports);` with at most per_line ports per line."""
    rows = [", ".join(ports[k:k + per_line]) for k in range(0, len(ports), per_line)]
    return f"module {module} (" + ",\n    ".join(rows) + ");"


def declarations(kind, names, per_line=1):
    """Declaration lines of per_line names each: one a line by default (Verilator limits the tokens on a
    line, and every tool reads this)."""
    return [f"  {kind} " + ", ".join(names[k:k + per_line]) + ";" for k in range(0, len(names), per_line)]


def to_dot(aig, max_nodes=3000):
    if aig.n_nodes > max_nodes:
        raise QuantlogicError(f"the circuit has {aig.n_nodes} nodes; DOT output is limited to {max_nodes} "
                              "(export .aig, .blif or .v instead)")
    lines = ["digraph aig {", "  rankdir=BT;"]
    for k, name in enumerate(aig.input_names):
        lines.append(f"  n{k + 1} [shape=box,label={dot_string(name)}];")
    base = 1 + aig.n_inputs
    uses_const = any(lit >> 1 == 0 for lit in aig.output_lits)
    if uses_const:
        lines.append('  n0 [shape=box,label="0"];')
    for k, (a, b) in enumerate(zip(aig.fanin0, aig.fanin1)):
        lines.append(f'  n{base + k} [shape=circle,label="&"];')
        for lit in (a, b):
            lines.append(f"  n{lit >> 1} -> n{base + k}" + (" [style=dashed];" if lit & 1 else ";"))
    for name, lit in zip(aig.output_names, aig.output_lits):
        lines.append(f"  {dot_string('out ' + name)} [shape=box,label={dot_string(name)}];")
        lines.append(f"  n{lit >> 1} -> {dot_string('out ' + name)}" + (" [style=dashed];" if lit & 1 else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"
