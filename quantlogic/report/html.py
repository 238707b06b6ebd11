"""One self-contained HTML page about a bundle: verdict, I/O contract, circuit size per layer, gates per
neuron, idle neurons, which features each class output depends on, and with test rows the accuracy and
confusion matrix. Plots are inline SVG; the page loads nothing from the network."""
import html

import numpy as np

from ..formats.depth import depth_of
from .summaries import idle_neurons

STYLE = """body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;
margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}
th{background:#f0f0f0}.verdict{font-size:18px;padding:8px;border-radius:4px;display:inline-block}
.proved{background:#d4efdf}.other{background:#fadbd8}h2{margin-top:1.5em}"""


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def gates_per_neuron(bundle):
    """{LAYER.INDEX: AND gates of the neuron's own logic} in the lowered circuit (lowered again when the
    bundle was simplified; lowering is deterministic)."""
    from ..lower.network import lower_network

    low = bundle.lowering or lower_network(bundle.net)
    counts = {}
    for k, neurons in enumerate(low.neurons):
        stops = {lit >> 1 for word in low.layer_inputs[k] for lit in word}
        for neuron in neurons:
            counts[f"{k}.{neuron.index}"] = len(low.aig.cone(neuron.out_word, stop=stops))
    return counts


def output_support(bundle):
    """{output pin: sorted feature indices its logic reads}."""
    aig = bundle.aig
    base = 1 + aig.n_inputs
    feature = {k + 1: int(name[1:].split("_")[0]) for k, name in enumerate(aig.input_names)}
    support = {}
    for name, lit in zip(aig.output_names, aig.output_lits):
        gates = aig.cone([lit])
        read = {lit >> 1} | {f >> 1 for node in gates for f in (aig.fanin0[node - base], aig.fanin1[node - base])}
        support[name] = sorted({feature[node] for node in read if 0 < node < base})
    return support


def to_html(bundle, test=None):
    """The report page of bundle; test: (X, y) labelled rows for accuracy and the confusion matrix."""
    from .plots import bars, heatmap

    net, aig = bundle.net, bundle.aig
    verdict = bundle.verdict
    verdict_text = verdict.text if verdict is not None else "not verified (no verdict matches this circuit)"
    title = f"quantlogic report: {net.meta.get('source', 'circuit')}"
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<div class='verdict {'proved' if verdict is not None and verdict.ok else 'other'}' id='verdict'>"
             f"{html.escape(verdict_text)}</div>",
             f"<p>{aig.n_ands} AND gates, {depth_of(aig)} levels; {net.wbits}-bit weights, {net.abits}-bit "
             f"activations, {net.ibits}-bit inputs; layers {' -> '.join(map(str, net.widths))}</p>"]
    names = net.names()
    parts.append("<h2>I/O contract</h2><p>code = number of thresholds t with x &gt;= t; pin x{i}_{j} is bit j of "
                 "code i; the class index is on pins y_j (bit 0 least significant)</p>")
    parts.append(_table(["feature", "name", "pins", "thresholds (float units)", "levels"],
                        [[i, names[i], f"x{i}_0..x{i}_{net.ibits - 1}",
                          ", ".join(f"{t:.4g}" for t in net.thresholds[i]), net.levels[i].tolist()]
                         for i in range(net.n_features)]))
    parts.append("<h2>Circuit</h2>")
    rows = [[stage, count] for stage, count in bundle.meta.get("layer_ands", {}).items()]
    rows += [[f"simplified by {st['pass']}", f"{st['ands_before']} -> {st['ands_after']}"]
             for st in bundle.meta.get("simplify", []) if "ands_after" in st]
    parts.append(_table(["stage", "AND gates"], rows or [["circuit", aig.n_ands]]))
    after = bundle.meta.get("simplified_layers", {})
    if after:
        parts.append("<h2>Per layer after simplification</h2>")
        parts.append(_table(["layer", "AND gates", "levels (depth of its codes)", "code bits merged away"],
                            [[stage, st["ands"], st["levels"], st["unmapped"]] for stage, st in after.items()]))
    counts = gates_per_neuron(bundle)
    if counts:
        parts.append("<h2>Gates per hidden neuron (as lowered)</h2>")
        parts.append(bars(list(counts), list(counts.values()), "neuron", "AND gates", "gates per neuron"))
    constant, unused = idle_neurons(net)
    parts.append("<h2>Idle neurons</h2>")
    parts.append(_table(["kind", "neurons"], [
        ["constant (one code for every input)", ", ".join(f"{n} (code {c})" for n, c in constant) or "none"],
        ["unused (no later layer reads them)", ", ".join(unused) or "none"]]))
    parts.append("<h2>Which features each output pin reads</h2>")
    parts.append(_table(["output pin", "features"], [[pin, ", ".join(names[f] for f in features) or "none"]
                                                     for pin, features in output_support(bundle).items()]))
    if test is not None:
        X, y = test
        predicted = bundle.predict(X)
        n = net.n_classes
        matrix = np.zeros((n, n), dtype=np.int64)
        for t, p in zip(np.clip(y, 0, n - 1), predicted):
            matrix[t, p] += 1
        parts.append(f"<h2>Test rows</h2><p id='accuracy'>circuit accuracy {100 * np.mean(predicted == y):.2f}% "
                     f"on {len(y)} rows (IntNetwork {100 * np.mean(net.predict(X) == y):.2f}%)</p>")
        parts.append(heatmap(matrix, "predicted class", "true class", "confusion matrix"))
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
