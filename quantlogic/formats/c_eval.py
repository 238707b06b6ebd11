"""The circuit as a bit-sliced C evaluator: one function, 64 samples per 64-bit word, no allocation.

Calling convention (also written at the top of the file):
    void quantlogic_eval(const uint64_t *in, uint64_t *out);
in[k] holds input pin k for 64 samples (sample s in bit s), pins in the order listed in the file (x{i}_{j}:
bit j of feature i's code); out[j] receives output pin y_j (bit j of the class index) the same way.
"""
from .escape import comment_text


def to_c(aig, header=(), function="quantlogic_eval"):
    """C99 source of aig; header lines become comments (feature names, the class pins)."""
    order = sorted(range(len(aig.output_names)), key=lambda k: _output_index(aig.output_names[k]))
    base = 1 + aig.n_inputs
    lines = ["/* quantlogic: the circuit as a bit-sliced evaluator (64 samples per uint64_t word).",
             f" * {aig.n_inputs} inputs, {len(aig.output_lits)} outputs, "
             f"{len(aig.cone(aig.output_lits))} AND gates.",
             f" * void {function}(const uint64_t *in, uint64_t *out): in[k] holds input pin k of 64 samples",
             " * (sample s in bit s), out[j] receives output pin y_j; it allocates nothing and keeps no state.",
             " * Input pins, in order:"]
    lines += [f" *   in[{k}] = {comment_text(name)}" for k, name in enumerate(aig.input_names)]
    lines += [f" *   out[{j}] = {comment_text(aig.output_names[k])}" for j, k in enumerate(order)]
    lines += [f" * {comment_text(line)}" for line in header]
    lines += [" */", "#include <stdint.h>", "",
              f"#define QUANTLOGIC_INPUTS {aig.n_inputs}", f"#define QUANTLOGIC_OUTPUTS {len(aig.output_lits)}", "",
              f"void {function}(const uint64_t *in, uint64_t *out);", "",
              f"void {function}(const uint64_t *in, uint64_t *out)", "{"]

    def ref(lit):
        node = lit >> 1
        name = "0" if node == 0 else f"in[{node - 1}]" if node < base else f"g{node}"
        if node == 0:
            return "~(uint64_t)0" if lit & 1 else "(uint64_t)0"
        return f"~{name}" if lit & 1 else name

    for node in aig.cone(aig.output_lits):  # ascending, so every gate comes after its fan-ins
        a, b = aig.fanin0[node - base], aig.fanin1[node - base]
        lines.append(f"    const uint64_t g{node} = {ref(a)} & {ref(b)};")
    for j, k in enumerate(order):
        lines.append(f"    out[{j}] = {ref(aig.output_lits[k])};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _output_index(name):
    tail = name.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else 0
