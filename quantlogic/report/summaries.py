"""Human-readable text about networks and circuits."""
import numpy as np

from ..formats.depth import depth_of, levels_of
from ..quant.neurons import neuron_name


def _pct(x):
    return f"{100 * x:.2f}%"


def quantize_summary(s):
    acts = sorted(set(s.get("activations", [])))
    lines = [f"layers: {' -> '.join(map(str, s['widths']))}" + (f" (activations: {', '.join(acts)})" if acts else "")
             + ("; the checkpoint's one logit z read as the logits (0, z): class 1 where z > 0"
                if s.get("single_logit") else ""),
             f"bits: weights {s['wbits']}, activations {s['abits']}, inputs {s['ibits']} (method {s['method']})",
             f"IntNetwork vs fake-quantized torch model: agree on {_pct(s['fake_quant_agreement'])} of "
             f"{s['calib_rows']} calibration rows ({s['fake_quant_disagreements']} differ)"]
    if "float_accuracy" in s:
        lines.append(f"calibration accuracy: float {_pct(s['float_accuracy'])}, quantized {_pct(s['quantized_accuracy'])}")
    ft = s.get("finetune")
    if ft:
        noisy = ft.get("noisy_rows", 0)
        copies = f" and their {noisy} noisy copies" if noisy else ""
        rows = (f"all {ft['holdout_rows'] - noisy} calibration rows{copies} (none held out)" if not ft.get("holdout")
                else f"{ft['holdout_rows']} held-out calibration rows")
        lines.append(f"fine-tuned: {ft['epochs_run']} epochs (best {ft['best_epoch']}); {ft['score_kind']} "
                     f"on {rows}: PTQ {_pct(ft['ptq_holdout_score'])} -> "
                     f"fine-tuned {_pct(ft['holdout_score'])}" + (f" (fan-in {ft['fanin']})" if ft["fanin"] else ""))
        if ft.get("kept_ptq"):
            lines.append("kept the PTQ network: " + ("it agrees on every one of those rows (no training)"
                                                     if not ft["epochs_run"] else
                                                     "fine-tuning did not score better on those rows"))
        else:
            lines += _searches(ft)
    if "test_quantized_accuracy" in s:
        before = f"PTQ {_pct(s['test_ptq_accuracy'])}, " if "test_ptq_accuracy" in s else ""
        floating = f"float {_pct(s['test_float_accuracy'])}, " if s.get("test_float_accuracy") is not None else ""
        lines.append(f"test accuracy: {floating}{before}quantized {_pct(s['test_quantized_accuracy'])}")
    if s.get("classes_predicted") == 1 and s.get("classes", 2) > 1:
        lines.append("warning: the quantized network gives one class for every calibration row (a constant "
                     "classifier); try more bits or --finetune")
    chance = 1 / s.get("classes", 2)
    for key, rows in (("quantized_accuracy", "calibration"), ("test_quantized_accuracy", "test")):
        if key in s and s[key] < chance:
            lines.append(f"warning: the quantized network is below chance on the {rows} rows "
                         f"({_pct(s[key])} < {_pct(chance)} for {s['classes']} classes)")
    return "\n".join(lines)


def _searches(ft):
    """The line on what the fine-tuner's exact local searches gained, if anything."""
    searches = ["input thresholds placed for the task before training"] if ft.get("searched_inputs") else []
    for key, what in (("rows_gained_by_thresholds", "thresholds moved after it"),
                      ("rows_gained_by_integers", "integer weights searched")):
        if ft.get(key):
            searches.append(f"{what} (+{ft[key]} rows)")
    return ["exact local search: " + "; ".join(searches)] if searches else []


def idle_neurons(net):
    """(constant, unused): hidden neurons (as LAYER.INDEX) whose code is the same for every input (with
    that code), and those no later layer reads (all outgoing weights zero, or only in max-pool windows
    whose output nobody reads)."""
    constant, unused = [], []
    top = np.asarray(net.levels.max(axis=1), dtype=np.float64)
    bottom = np.asarray(net.levels.min(axis=1), dtype=np.float64)
    for k, (W, T) in enumerate(net.hidden):
        lo = np.where(W > 0, W * bottom, W * top).sum(axis=1)
        hi = np.where(W > 0, W * top, W * bottom).sum(axis=1)
        codes_lo = (lo[:, None] >= T).sum(axis=1)
        codes_hi = (hi[:, None] >= T).sum(axis=1)
        constant += [(neuron_name(net, k, j), int(c)) for j, c in enumerate(codes_lo) if c == codes_hi[j]]
        readers = net.hidden[k + 1][0] if k + 1 < len(net.hidden) else net.out_W
        read = np.any(readers != 0, axis=0)
        if net.pools[k] is not None:
            rows = np.zeros(W.shape[0], dtype=bool)
            rows[net.pools[k][read].ravel()] = True
            read = rows
        unused += [neuron_name(net, k, j) for j in np.flatnonzero(~read)]
        top = np.full(net.layer_width(k), 2.0 ** net.abits - 1)
        bottom = np.zeros(net.layer_width(k))
    return constant, unused


def describe_intnet(net):
    lines = [f"integer network: {' -> '.join(map(str, net.widths))}",
             f"bits: weights {net.wbits}, activations {net.abits}, inputs {net.ibits}"]
    info = net.meta
    if info.get("source"):
        lines.append(f"source: {info['source']} (sha256 {info.get('source_sha256', '?')[:16]}...)")
    acts = info.get("activations")
    if isinstance(acts, list) and acts and all(isinstance(a, str) for a in acts):  # (a file's meta can be anything)
        lines.append(f"the source's activations: {', '.join(acts)} (each neuron's thresholds count their steps)"
                     + ("; its one logit z read as (0, z)" if info.get("single_logit") is True else ""))
    lines.append("inputs (code = number of thresholds <= x):")
    names = net.names()
    for i, name in enumerate(names):
        levels = "" if np.array_equal(net.levels[i], np.arange(net.levels.shape[1])) else \
            f"  levels {net.levels[i].tolist()}"
        lines.append(f"  {name}: thresholds {', '.join(f'{t:.4g}' for t in net.thresholds[i])}{levels}")
    if net.in_shape is not None:
        lines.append(f"input row read as {tuple(net.in_shape)} (channels x positions)")
    for k, (W, T) in enumerate(net.hidden):
        constant = int(np.sum(T[:, 0] == T[:, -1]) if T.shape[1] else 0)
        lines.append(f"hidden layer {k}: {W.shape[1]} -> {W.shape[0]}, weights in [{W.min()}, {W.max()}], "
                     f"{np.count_nonzero(W)} non-zero; thresholds in [{T.min()}, {T.max()}]; "
                     f"{constant} neurons with all thresholds equal")
        pool, shape = net.pools[k], net.shapes[k]
        if pool is not None:
            lines.append(f"  max-pool: {W.shape[0]} -> {len(pool)} outputs, each the largest code of "
                         f"{pool.shape[1]} neurons")
        if shape is not None:
            lines.append(f"  a convolution: neurons as {tuple(shape)} (channels x positions), named like "
                         f"{neuron_name(net, k, W.shape[0] - 1)}")
    lines.append(f"output layer: {net.out_W.shape[1]} -> {net.out_W.shape[0]} classes, weights in "
                 f"[{net.out_W.min()}, {net.out_W.max()}], bias in [{net.out_B.min()}, {net.out_B.max()}]; "
                 "prediction = argmax of integer logits, ties to the smallest index")
    constant, unused = idle_neurons(net)
    if constant:
        lines.append("constant neurons (the same code for every input): "
                     + ", ".join(f"{name} (code {code})" for name, code in constant))
    if unused:
        lines.append("unused neurons (no later layer reads them): " + ", ".join(unused))
    return "\n".join(lines)


def describe_circuit(bundle):
    aig, net, info = bundle.aig, bundle.net, bundle.meta
    lines = [f"circuit: {aig.n_inputs} inputs (x{{i}}_{{j}} = bit j of feature i's code), "
             f"{len(aig.output_lits)} outputs (y_j = bit j of the class index)",
             f"AND gates: {aig.n_ands}, levels: {depth_of(aig)}"]
    for stage, count in info.get("layer_ands", {}).items():
        lines.append(f"  {stage}: {count} ANDs as lowered")
    for stage, st in info.get("simplified_layers", {}).items():
        lines.append(f"  {stage} after simplification: {st['ands']} ANDs, its codes at depth {st['levels']}"
                     + (f" ({st['unmapped']} code bits merged into other gates)" if st["unmapped"] else ""))
    if bundle.lowering is not None:
        levels = levels_of(aig)
        for k, neurons in enumerate(bundle.lowering.neurons):
            deepest = max((int(levels[lit >> 1]) for n in neurons for lit in n.out_word), default=0)
            lines.append(f"  layer {k}: its outputs at depth <= {deepest}")
    for st in info.get("simplify", []):
        if "ands_after" in st:
            lines.append(f"  simplified by {st['pass']}: {st['ands_before']} -> {st['ands_after']} ANDs")
    lines.append(f"verification: {bundle.verdict_line()}")
    lines.append("")
    lines.append(describe_intnet(net))
    return "\n".join(lines)


def verdict_lines(verdict, aig=None, verbose=False):
    """The verdict headline (with the circuit's size), its counterexample, and with verbose its details."""
    head = verdict.text
    if verdict.ok and aig is not None:
        head += f", {aig.n_ands} ANDs"
    lines = [head]
    w = verdict.witness
    if w:
        features = ", ".join("unreachable" if v is None else f"{v:.6g}" for v in w["features"])
        lines.append(f"  counterexample: input codes {w['codes']}, feature values [{features}]: circuit class "
                     f"{w['circuit']}, IntNetwork class {w['network']}")
    if verbose:
        lines += [f"  {d}" for d in verdict.details]
    return "\n".join(lines)


def convert_summary(bundle, verdict, summary=None):
    aig = bundle.aig
    lines = [f"circuit: {aig.n_ands} AND gates, {depth_of(aig)} levels, {aig.n_inputs} inputs, "
             f"{len(aig.output_lits)} outputs"]
    for stage, count in bundle.meta.get("layer_ands", {}).items():
        lines.append(f"  {stage}: {count} ANDs")
    lines.append(f"verification: {verdict_lines(verdict, aig)}")
    if summary and "test_circuit_accuracy" in summary:
        lines.append(f"test accuracy of the circuit (simulated): {_pct(summary['test_circuit_accuracy'])}")
    return "\n".join(lines)


def describe_diagram(d, verdict=None, seconds=None):
    what = "the whole network (leaves are classes)" if d.kind == "network" else "one neuron (leaves are its output code)"
    lines = [f"decision diagram of {what}: {d.n_nodes} nodes, {d.n_leaves} leaves, depth {d.depth()}, "
             f"{d.paths()} leaves when unfolded into a tree"]
    if seconds is not None:
        lines.append(f"built in {seconds:.2f} s")
    if verdict is not None:
        lines.append(f"verification: {verdict.text}")
    return "\n".join(lines)


def simplify_summary(bundle):
    lines = ["simplification:"]
    for st, seconds in zip(bundle.meta.get("simplify", []), bundle.timings):
        counts = f"{st['ands_before']} -> {st['ands_after']} ANDs " if "ands_after" in st else ""
        lines.append(f"  {st['pass']}: {counts}({seconds:.2f} s)")
    lines.append(f"circuit: {bundle.aig.n_ands} AND gates, {depth_of(bundle.aig)} levels")
    lines.append(f"verification: {verdict_lines(bundle.recorded_verdict()[0], bundle.aig)}")
    return "\n".join(lines)


def describe_neuron(net, neuron, bundle=None, table_limit=12, cube_limit=24):
    """A hidden neuron: its inputs and weights, thresholds, its minimized SOP per output bit when its used
    inputs have at most table_limit bits (an output bit with more than cube_limit cubes is only counted),
    and its gates in the bundle's circuit when it was lowered there."""
    from ..kernels.truth_table import neuron_truth_table
    from ..lower.network import neuron_table_inputs
    from ..lower.to_tree import layer_inputs
    from ..lower.truth_table import value_table
    from ..quant.neurons import neuron_name, parse_neuron
    from ..pyeda_bridge import espresso_cover

    layer, j = parse_neuron(net, neuron)
    W, T = net.hidden[layer]
    names = layer_inputs(net, layer)[0]
    used = [i for i in range(W.shape[1]) if W[j, i]]
    name = neuron_name(net, layer, j)
    alias = f" ({layer}.{j})" if name != f"{layer}.{j}" else ""
    lines = [f"neuron {name}{alias}: out = #{{k : sum_i w_i * in_i >= T_k}}, {len(used)} of {W.shape[1]} inputs used",
             "  weights: " + (", ".join(f"{names[i]} {int(W[j, i]):+d}" for i in used) or "none"),
             f"  thresholds T: {T[j].tolist()}"]
    bits = net.ibits if layer == 0 else net.abits
    if used and len(used) * bits <= table_limit:
        values = value_table(layer_inputs(net, layer)[2], bits)
        table = neuron_truth_table(W[j, used], values[used], bits, T[j])
        pins = [f"{names[i]}[{b}]" for i in used for b in range(bits)]
        lines.append(f"  sum of products (code bits, [0] least significant), from its {len(table)}-row truth table:")
        for b in range(net.abits):
            cubes = espresso_cover((table >> b) & 1, len(pins))
            if len(cubes) > cube_limit:
                lines.append(f"    out[{b}]: {len(cubes)} cubes, {sum(map(len, cubes))} literals (over {cube_limit}, "
                             f"not printed; `quantlogic tree --neuron {name}` gives its decision rules)")
                continue
            text = " | ".join(" & ".join(("" if pos else "~") + pins[k] for k, pos in cube) or "1" for cube in cubes)
            lines.append(f"    out[{b}] = {text or '0'}")
    elif used:
        lines.append(f"  no sum of products: {len(used) * bits} input bits (limit {table_limit})")
    if bundle is not None and bundle.lowering is not None:
        low = bundle.lowering
        circuit = low.neurons[layer][j]
        stop = {lit >> 1 for word in neuron_table_inputs(net, low, layer)[0] + low.layer_inputs[layer] for lit in word}
        gates = bundle.aig.cone(circuit.out_word, stop=stop)
        lines.append(f"  circuit: {circuit.method} lowering, {len(gates)} AND gates from its inputs to its "
                     f"outputs, output literals {circuit.out_word}")
        if net.pools[layer] is not None:
            windows = np.flatnonzero(np.any(net.pools[layer] == j, axis=1)).tolist()
            lines.append(f"  max-pooled into output(s) {', '.join(f'p{layer}.{r}' for r in windows) or 'none'}")
    elif bundle is not None:
        lines.append("  circuit: simplified, so its gates are shared with the rest of the circuit")
    return "\n".join(lines)


def layer_levels(bundle):
    """{stage: logic depth of its outputs} of a lowered bundle (hidden layers' codes, the class index), or {}."""
    low = bundle.lowering
    if low is None:
        return {}
    levels = levels_of(bundle.aig)
    depth = lambda words: int(max((levels[lit >> 1] for w in words for lit in w), default=0))  # noqa: E731
    stages = {f"layer {k}": depth(low.outputs(k)) for k in range(len(low.neurons))}
    stages["output"] = depth([low.class_word])
    return stages


def _per_layer(bundle):
    """{stage: "N ANDs, depth D"} of a lowered bundle, or of a simplified one along its passes' node maps."""
    if bundle.lowering is not None:
        depths = layer_levels(bundle)
        return {stage: f"{n} ANDs" + (f", depth {depths[stage]}" if stage in depths else "")
                for stage, n in bundle.meta.get("layer_ands", {}).items()}
    return {stage: f"{st['ands']} ANDs, depth {st['levels']}" for stage, st in
            bundle.meta.get("simplified_layers", {}).items()}


def side_by_side(a, b):
    """Two bundles' sizes and depths, whole and per layer (as lowered, where the bundle keeps its layers)."""
    rows = [("", "first", "second"), ("ANDs", str(a.ands), str(b.ands)), ("levels", str(a.levels), str(b.levels))]
    ands = [_per_layer(x) for x in (a, b)]
    for stage in dict.fromkeys(list(ands[0]) + list(ands[1])):
        rows.append((stage, *(n.get(stage, "-") for n in ands)))
    rows.append(("", *(("as lowered" if x.lowering is not None else "after simplification" if
                        x.meta.get("simplified_layers") else "simplified: no layers") for x in (a, b))))
    width = [max(len(r[k]) for r in rows) for k in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, width)).rstrip() for r in rows)
