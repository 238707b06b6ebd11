"""Simplification in windows: a layered circuit cut at each layer's outputs, each layer's cone above the cut
simplified as a circuit of its own (independent work, run by a pool when one is given), then stitched back
layer after layer with structural hashing. The windows depend on the circuit only, so the result is the same
for any pool."""
import time
from dataclasses import dataclass, replace

import numpy as np

from ..heap import give_back
from ..ir.aig import AIG
from ..kernels.strash import HashedCopy, cone_above, rebuild_arrays
from ..verdict import proved
from ..workers import Here
from .registry import run_passes
from .structural import compose, mapped_aig

MIN_ANDS = 250_000  # circuits with fewer gates are simplified whole
GIVE_BACK_ANDS = 100_000  # windows this large give the memory their passes freed back before the next pass


@dataclass
class Window:
    """A layer's cone above the layers before as an AIG of its own: input k stands for node leaves[k] of the
    circuit cut into windows, output k for the k-th literal of the layer's words."""

    aig: AIG
    leaves: np.ndarray
    nodes: np.ndarray  # the circuit's nodes copied into the window
    node_lits: np.ndarray  # their literals in the window
    outputs: np.ndarray  # the circuit's literals the window's outputs stand for


def layer_windows(fanin0, fanin1, n_inputs, stages, stop):
    """The Window of each stage (a list of words: literals of the AIG given by fan-in arrays), one at a time:
    its words' cone above the stop nodes, which then grow by the stage's words (stop: a bool per node, updated
    in place, so a later call goes on where this one ended)."""
    for words in stages:
        lits = _literals(words)
        yield _window(fanin0, fanin1, n_inputs, lits, stop)
        stop[lits >> 1] = True


def window_ands(aig, stages):
    """The AND gates of all of aig's layer windows (an upper bound of their simplified sizes)."""
    fanin0, fanin1, _ = aig.arrays()
    stop = np.zeros(aig.n_nodes, dtype=bool)
    total = 0
    for words in stages:
        lits = _literals(words)
        total += len(cone_above(fanin0, fanin1, aig.n_inputs, lits, stop))
        stop[lits >> 1] = True
    return total


def _literals(words):
    return np.asarray([lit for word in words for lit in word], dtype=np.int64)


class _Composed:
    """Takes run_passes' steps and keeps only their node maps composed (no pass's circuits)."""

    def __init__(self, n_nodes):
        self.node_map = 2 * np.arange(n_nodes, dtype=np.int64)

    def append(self, step):
        self.node_map = compose(self.node_map, step[2])


def simplify_window(fanin0, fanin1, outputs, n_inputs, names, check=None):
    """(fan-ins, outputs, node map: the window's literal in the result per node or -1, per-pass stats, proof)
    of the passes `names` run on one window given as arrays; proof is check(window, result, node map), a
    Verdict, when check is given and the passes changed the window (else None)."""
    window = AIG.from_arrays([f"c{k}" for k in range(n_inputs)], fanin0, fanin1,
                             [f"o{k}" for k in range(len(outputs))], outputs)
    composed = _Composed(window.n_nodes)
    result, stats = window, []
    for name in names:  # one at a time: each pass's freed memory goes back before the next one starts
        result, more = run_passes(result, [name], steps=composed)
        stats += more
        if window.n_ands >= GIVE_BACK_ANDS:
            give_back()
    node_map = composed.node_map
    if result.n_ands > window.n_ands:  # never larger: the stitched circuit is sized by the windows' own gates
        result, node_map = window, 2 * np.arange(window.n_nodes, dtype=np.int64)
    proof = check(window, result, node_map) if check is not None and result is not window else None
    new0, new1, outs = result.arrays()
    return new0, new1, outs, node_map, stats, proof


@dataclass
class WindowRun:
    """The windows of a circuit being simplified by the passes `names` (each proved by check, see
    simplify_window): results yields (Window, simplify_window's tuple) in window order; ands bounds the
    simplified windows' gates."""

    aig: AIG
    names: tuple
    check: object
    count: int
    ands: int
    results: object


def start_windows(aig, names, stages, workers=None, check=None):
    """A WindowRun of the circuit cut at stages (see simplify_in_windows): workers of a cluster start on all
    the windows now; without them each window is made and simplified here when its result is read, so one
    window at a time is in memory."""
    if workers is not None and not isinstance(workers, Here):
        ahead = WindowsAhead(names, workers, check)
        ahead.start(aig, stages)
        return ahead.run(aig)

    def here(window):
        return window, simplify_window(*window.aig.arrays(), window.aig.n_inputs, list(names), check)

    windows = layer_windows(*aig.arrays()[:2], aig.n_inputs, stages, np.zeros(aig.n_nodes, dtype=bool))
    return WindowRun(aig, tuple(names), check, len(stages), window_ands(aig, stages), map(here, windows))


def simplify_in_windows(aig, names, stages, workers=None, progress=None, check=None):
    """(AIG simplified window by window with its source_map, stats) for a circuit whose stages (lists of
    words, the last one its outputs) cut it into layers; workers.map(fn, argument tuples) runs the windows,
    results in order (else they run here, one after the other); progress(done, total) as windows are
    stitched. With check (see simplify_window) the AIG's proof is the windows' proofs combined
    (window_proof)."""
    return stitch_windows(start_windows(aig, names, stages, workers, check), progress)


def stitch_windows(run, progress=None):
    """(AIG, stats) of simplify_in_windows from a WindowRun's results, stitched as they come: the seconds of
    each pass summed over the windows (wherever they ran), those of the stitch spent here."""
    aig, names = run.aig, run.names
    stitched = HashedCopy(aig.n_inputs, run.ands)
    lit_of = np.full(aig.n_nodes, -1, dtype=np.int64)  # literal in the stitched circuit of each node
    lit_of[:1 + aig.n_inputs] = 2 * np.arange(1 + aig.n_inputs)
    totals = [[0, 0, 0.0] for _ in names]
    stitching = 0.0
    proofs = []
    for done, (window, (new0, new1, outs, node_map, stats, proof)) in enumerate(run.results, 1):
        start = time.perf_counter()
        _stitch(stitched, window, new0, new1, outs, node_map, lit_of)
        stitching += time.perf_counter() - start
        for sizes, st in zip(totals, stats):
            sizes[0] += st["ands_before"]
            sizes[1] += st["ands_after"]
            sizes[2] += st.get("seconds", 0.0)
        proofs.append(proof)
        if progress:
            progress(done, run.count)
        del window, new0, new1, outs, node_map  # before the next window is made
    start = time.perf_counter()
    outs = np.asarray(aig.output_lits, dtype=np.int64)
    new0, new1, outs, rebuilt = rebuild_arrays(*stitched.arrays(), aig.n_inputs, compose(outs, lit_of))
    result = mapped_aig(aig, new0, new1, outs, compose(lit_of, rebuilt))
    result.proof = window_proof(proofs) if run.check is not None else None
    stitching += time.perf_counter() - start
    stats = [{"pass": name, "windows": run.count, "ands_before": before, "ands_after": after,
              "seconds": round(seconds, 3)} for name, (before, after, seconds) in zip(names, totals)]
    stats.append({"pass": "stitch", "windows": run.count, "ands_before": totals[-1][1] if names else aig.n_ands,
                  "ands_after": result.n_ands, "seconds": round(stitching, 3)})
    return result, stats


def window_proof(proofs):
    """One Verdict of a circuit stitched from its simplified windows: proved when every window that changed
    was proved equal to its simplification (the stitched circuit is their composition over the same cuts,
    as the circuit is of its windows), else the first window's verdict that is not proved."""
    for k, proof in enumerate(proofs):
        if proof is not None and not proof.ok:
            return replace(proof, reason=f"layer window {k}: {proof.reason}")
    changed = [k for k, proof in enumerate(proofs) if proof is not None]
    return proved("equivalence, window by window", f"each of the {len(changed)} layer windows the passes changed "
                  f"(of {len(proofs)}) proved equal to its simplification as a function of the layer before "
                  "(internal equivalences along the passes' node map, each proved by exhaustive simulation or "
                  "SAT); the circuit is stitched from them over the same cuts")


def _window(fanin0, fanin1, n_inputs, lits, stop):
    """The Window of literals: their cone above the stop nodes, over its leaves (stop nodes and inputs)."""
    nodes = cone_above(fanin0, fanin1, n_inputs, lits, stop)
    inside = np.zeros(len(stop), dtype=bool)
    inside[nodes] = True
    base = 1 + n_inputs
    fanins = np.concatenate([fanin0[nodes - base], fanin1[nodes - base], lits]) >> 1
    leaves = np.unique(fanins[~inside[fanins] & (fanins > 0)])
    mapping = np.full(len(stop), -1, dtype=np.int64)
    mapping[0] = 0
    mapping[leaves] = 2 * np.arange(1, len(leaves) + 1)
    copy = HashedCopy(len(leaves), len(nodes))
    copy.copy_nodes(fanin0, fanin1, n_inputs, nodes, mapping)
    window = AIG.from_arrays([f"c{k}" for k in range(len(leaves))], *copy.arrays(),
                             [f"o{k}" for k in range(len(lits))], compose(lits, mapping))
    return Window(window, leaves, nodes, mapping[nodes], lits)


def _stitch(stitched, window, new0, new1, outs, node_map, lit_of):
    """Copy a simplified window into the stitched circuit over its leaves' stitched literals; lit_of gets
    the stitched literal of every node copied into the window (hints for the equivalence check), and the
    nodes of the window's outputs those of the simplified outputs (what a window's proof is about, so the
    next windows' leaves are what was proved)."""
    result = AIG.from_arrays([f"c{k}" for k in range(window.aig.n_inputs)], new0, new1,
                             [f"o{k}" for k in range(len(outs))], outs)
    there = stitched.copy(result, lit_of[window.leaves])
    lit_of[window.nodes] = compose(window.node_lits, compose(node_map, there))
    lit_of[window.outputs >> 1] = compose(outs, there) ^ (window.outputs & 1)


def by_layers(aig, low, names):
    """The stages (see simplify_in_windows) at which run_passes_by_layers cuts aig, or None when it
    simplifies aig whole: when low, the Lowering that made aig, is missing, aig has fewer than MIN_ANDS
    gates, or there are no passes."""
    if low is None or aig.n_ands < MIN_ANDS or not names:
        return None
    return [low.outputs(k) for k in range(len(low.neurons))] + [[list(aig.output_lits)]]


def start_ahead(low, names, workers, check=None):
    """The layer windows of run_passes_by_layers on a lowering's circuit, started now on the workers of a
    cluster (a WindowRun), or None when they would run here or the circuit is simplified whole."""
    if workers is None or workers.count < 2:
        return None
    return WindowsAhead(names, workers, check).finish(low)


class WindowsAhead:
    """Layer windows started on the workers of a cluster, as soon as the layers they need exist: started
    while a network is lowered (layer_done), the workers simplify while the rest is lowered. layer_done
    starts them once the circuit promises to reach MIN_ANDS (a smaller one is simplified whole)."""

    def __init__(self, names, workers, check=None, n_layers=1):
        self.names, self.workers, self.check, self.n_layers = tuple(names), workers, check, n_layers
        self.windows, self.results, self.stop = [], [], np.zeros(0, dtype=bool)

    def layer_done(self, low, layer):
        """Start the windows of the layers lowered so far (low.outputs(layer) is the latest) when the circuit,
        growing at this rate, will be simplified layer by layer."""
        if (low.aig.n_ands * self.n_layers) // (layer + 1) >= MIN_ANDS:
            self.start(low.aig, [low.outputs(k) for k in range(len(self.windows), layer + 1)])

    def finish(self, low):
        """The WindowRun of run_passes_by_layers for a finished lowering (the windows not started yet start
        now), or None when its circuit is simplified whole."""
        stages = by_layers(low.aig, low, self.names)
        if stages is None:
            return None
        self.start(low.aig, stages[len(self.windows):])
        return self.run(low.aig)

    def start(self, aig, stages):
        """Start the windows of the next stages of aig (the stages before them were started earlier)."""
        stop = np.zeros(aig.n_nodes, dtype=bool)
        stop[:len(self.stop)] = self.stop
        # copies of the fan-ins: the AIG may still grow, and a view of its arrays would pin them
        for window in layer_windows(np.array(aig.fanin0, dtype=np.int64), np.array(aig.fanin1, dtype=np.int64),
                                    aig.n_inputs, stages, stop):
            task = (*window.aig.arrays(), window.aig.n_inputs, list(self.names), self.check)
            self.windows.append(window)
            self.results.append(self.workers.map(simplify_window, [task]))
        self.stop = stop

    def run(self, aig):
        """The WindowRun of the windows started, aig being the circuit they were cut from."""
        results = zip(self.windows, (next(iter(result)) for result in self.results))
        return WindowRun(aig, self.names, self.check, len(self.windows), sum(w.aig.n_ands for w in self.windows),
                         results)


def run_passes_by_layers(aig, low, names, abc_script=None, steps=None, progress=None, workers=None, ahead=None,
                         check=None):
    """run_passes, but layer by layer (the layers run by workers and proved by check, see simplify_in_windows)
    when by_layers says so; ahead: a WindowRun of aig, names and check already started. The ABC script then
    runs on the whole."""
    stages = by_layers(aig, low, names)
    if stages is None:
        return run_passes(aig, names, abc_script, steps, progress)
    if progress:
        progress(f"{', '.join(names)} layer by layer")
    if ahead is None or ahead.aig is not aig or ahead.names != tuple(names) or ahead.check is not check:
        ahead = start_windows(aig, names, stages, workers, check)
    result, stats = stitch_windows(ahead, getattr(progress, "within", None))
    if steps is not None:
        steps.append((aig, result, result.source_map, False))
    result, more = run_passes(result, [], abc_script, steps, progress)
    return result, stats + more
