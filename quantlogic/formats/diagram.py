"""Exports of a decision diagram: text rules, DOT, JSON (readable back) and a plain Python function."""
import json

from ..errors import QuantlogicError
from ..ir.tree import LEAF, Diagram
from ..names import check_names

MAX_RULE_LINES = 20_000
FORMAT = "quantlogic-diagram"
VERSION = 1


def _test(d, node, taken):
    """The test of node as text in the user's units: `name >= t` (or `<`), with the code cut for hidden inputs."""
    f, cut = d.feature[node], d.cut[node]
    name = d.input_names[f]
    op = ">=" if taken else "<"
    if d.input_thresholds[f] is None:
        return f"{name} {op} {cut}"
    return f"{name} {op} {d.input_thresholds[f][cut - 1]:.6g}"


def _leaf_text(d, node):
    return f"{'class' if d.kind == 'network' else 'value'}: {d.value[node]}"


def to_text(d):
    """Rules like scikit-learn's export_text, from the unfolded tree."""
    if d.paths() * 2 > MAX_RULE_LINES:
        raise QuantlogicError(f"the unfolded tree has {d.paths():,} leaves; text rules are limited to "
                              f"{MAX_RULE_LINES // 2:,} (export .json, .dot or .py instead: they share sub-diagrams)")
    lines = []

    def walk(node, depth):
        indent = "|   " * depth
        if d.feature[node] == LEAF:
            lines.append(f"{indent}|--- {_leaf_text(d, node)}")
            return
        lines.append(f"{indent}|--- {_test(d, node, False)}")
        walk(d.lo[node], depth + 1)
        lines.append(f"{indent}|--- {_test(d, node, True)}")
        walk(d.hi[node], depth + 1)

    walk(d.root, 0)
    return "\n".join(lines) + "\n"


def to_dot(d, max_nodes=5000):
    if d.n_nodes > max_nodes:
        raise QuantlogicError(f"the diagram has {d.n_nodes} nodes; DOT output is limited to {max_nodes}")
    lines = ["digraph diagram {"]
    for n in range(d.n_nodes):
        if d.feature[n] == LEAF:
            lines.append(f'  n{n} [shape=box,label="{_leaf_text(d, n)}"];')
        else:
            lines.append(f'  n{n} [label="{_test(d, n, True)}"];')
            lines.append(f'  n{n} -> n{d.hi[n]} [label="yes"];')
            lines.append(f'  n{n} -> n{d.lo[n]} [label="no",style=dashed];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(d):
    data = {"format": FORMAT, "version": VERSION, "kind": d.kind, "input_names": d.input_names,
            "input_thresholds": d.input_thresholds, "n_codes": d.n_codes, "root": d.root,
            "leaf_marker": LEAF, "feature": d.feature, "cut": d.cut, "lo": d.lo, "hi": d.hi, "value": d.value,
            "semantics": "at node n: if feature[n] == leaf_marker return value[n]; else go to hi[n] when "
                         "code[feature[n]] >= cut[n] (code = number of input_thresholds <= x), otherwise lo[n]"}
    return json.dumps(data, indent=1) + "\n"


def from_json(text, where="diagram"):
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise QuantlogicError(f"{where}: not a quantlogic diagram file")
        if data.get("version") != VERSION:
            raise QuantlogicError(f"{where}: diagram version {data.get('version')!r} is not supported")
        d = Diagram(data["kind"], check_names(data["input_names"], "input", where), data["input_thresholds"],
                    data["n_codes"])
        for n, (f, cut, lo, hi, value) in enumerate(zip(data["feature"], data["cut"], data["lo"], data["hi"],
                                                        data["value"], strict=True)):
            if f != LEAF and not (0 <= lo < n and 0 <= hi < n and 0 <= f < len(d.input_names)):
                raise ValueError(f"node {n} is malformed")
            d.feature.append(f), d.cut.append(cut), d.lo.append(lo), d.hi.append(hi), d.value.append(value)
        d.root = int(data["root"])
        if not 0 <= d.root < d.n_nodes:
            raise ValueError("root out of range")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise QuantlogicError(f"{where}: corrupt diagram file ({type(exc).__name__})") from None
    return d


def _quoted(name):
    """A name as a JSON string: no quote, backslash or line break of it can end a comment or docstring."""
    return json.dumps(str(name), ensure_ascii=True)


def to_python(d, name="predict"):
    """A self-contained Python module: one small function per diagram node, then `predict(x)` taking the
    float features (or, for a neuron of a hidden layer, its input codes)."""
    lines = [f'"""Exact decision diagram exported by quantlogic ({d.kind}: {d.n_nodes} nodes).',
             "", f"{name}(x) takes a sequence of {len(d.input_names)} values: "
             + ", ".join(map(_quoted, d.input_names[:8])) + (", ..." if len(d.input_names) > 8 else "") + '."""',
             ""]
    for n in range(d.n_nodes):
        lines.append(f"def _n{n}(x):")
        if d.feature[n] == LEAF:
            lines.append(f"    return {d.value[n]}")
        else:
            f = d.feature[n]
            if d.input_thresholds[f] is None:
                test = f"x[{f}] >= {d.cut[n]}"
            else:
                test = f"x[{f}] >= {d.input_thresholds[f][d.cut[n] - 1]!r}"
            lines.append(f"    if {test}:  # {_quoted(d.input_names[f])}")
            lines.append(f"        return _n{d.hi[n]}(x)")
            lines.append(f"    return _n{d.lo[n]}(x)")
        lines.append("")
    lines += ["", f"def {name}(x):", f"    return _n{d.root}(x)", ""]
    return "\n".join(lines)
