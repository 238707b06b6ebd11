"""Cut rewriting: each node's 3-input cuts are re-expressed with the cheapest AND tree of the cut's
function (a table over all 256 three-input functions, computed once), where that saves more than the
nodes only the old implementation used (its maximum fan-out-free cone)."""
from functools import lru_cache

import numpy as np

from ..ir.aig import FALSE, TRUE, neg
from .passes import rebuild, sweep

LEAVES = (0xAA, 0xCC, 0xF0)  # truth tables of cut leaves 0, 1, 2 over the 8 rows
MAX_CUTS = 8


@lru_cache(maxsize=1)
def cheapest_trees():
    """(cost, recipe) for every 3-input truth table: cost in ANDs of the cheapest AND tree (complements
    free); recipe[f] = (g, h) with f = g & h, or None for leaves and constants."""
    inf = 1 << 20
    cost = np.full(256, inf, dtype=np.int64)
    recipe = [None] * 256
    for f in (0x00, 0xFF) + LEAVES + tuple(x ^ 0xFF for x in LEAVES):
        cost[f] = 0
    changed = True
    while changed:
        changed = False
        known = np.flatnonzero(cost < inf)
        g, h = np.meshgrid(known, known, indexing="ij")
        f = (g & h).ravel()
        c = (cost[g] + cost[h] + 1).ravel()
        order = np.lexsort((g.ravel(), f, c))
        for k in order:
            for target, comp in ((int(f[k]), False), (int(f[k]) ^ 0xFF, True)):
                if c[k] < cost[target]:
                    cost[target] = c[k]
                    recipe[target] = (int(g.ravel()[k]), int(h.ravel()[k]), comp)
                    changed = True
    return cost, recipe


def _build(aig, f, leaves, recipe):
    """Literal of truth table f over leaf literals, following the recipe."""
    if f == 0x00:
        return FALSE
    if f == 0xFF:
        return TRUE
    for lit, table in zip(leaves, LEAVES):
        if f == table:
            return lit
        if f == table ^ 0xFF:
            return neg(lit)
    g, h, comp = recipe[f]
    out = aig.and_(_build(aig, g, leaves, recipe), _build(aig, h, leaves, recipe))
    return neg(out) if comp else out


def rewrite(aig, params=None):
    cost, recipe = cheapest_trees()
    base = 1 + aig.n_inputs
    fanout = aig.fanouts()  # an output's reader is outside every cone, so its node never joins an MFFC
    cuts = {n: [(n,)] for n in range(aig.n_inputs + 1)}
    chosen = {}
    for node in aig.cone(aig.output_lits):
        k = node - base
        a, b = aig.fanin0[k] >> 1, aig.fanin1[k] >> 1
        merged = {tuple(sorted(set(x) | set(y))) for x in cuts[a] for y in cuts[b]}
        node_cuts = sorted((c for c in merged if len(c) <= 3), key=lambda c: (len(c), c))[:MAX_CUTS]
        best = None
        for cut in node_cuts:
            table = _truth_table(aig, node, cut)
            gain = _mffc_size(aig, node, set(cut), fanout) - int(cost[table])
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, cut, table)
        if best:
            chosen[node] = best
        cuts[node] = node_cuts + [(node,)]

    rebuilt = {k: 2 * k for k in range(aig.n_inputs + 1)}  # node -> literal in the rebuilt AIG

    def use_cheaper(node, lit, new):
        if node in chosen:
            _, cut, table = chosen[node]
            lit = _build(new, table, [rebuilt[leaf] for leaf in cut] + [FALSE] * (3 - len(cut)), recipe)
        rebuilt[node] = lit
        return lit

    result, _ = sweep(rebuild(aig, use_cheaper))
    if result.n_ands >= aig.n_ands:
        result = aig
    return result, {"pass": "rewrite", "ands_before": aig.n_ands, "ands_after": result.n_ands,
                    "rewritten": len(chosen)}


def _truth_table(aig, node, cut):
    """8-row truth table of node over up to 3 cut leaves."""
    base = 1 + aig.n_inputs
    values = {leaf: table for leaf, table in zip(cut, LEAVES)}
    values[0] = 0

    def value(n):
        if n not in values:
            k = n - base
            a, b = aig.fanin0[k], aig.fanin1[k]
            va = value(a >> 1) ^ (0xFF if a & 1 else 0)
            vb = value(b >> 1) ^ (0xFF if b & 1 else 0)
            values[n] = va & vb
        return values[n]

    return value(node)


def _mffc_size(aig, node, leaves, fanout):
    """Nodes used only by node's cone above the cut (the old implementation that would go away)."""
    base = 1 + aig.n_inputs
    count = 0
    removed = {}
    todo = [node]
    while todo:
        n = todo.pop()
        count += 1
        k = n - base
        for lit in (aig.fanin0[k], aig.fanin1[k]):
            child = lit >> 1
            if child in leaves or child < base:
                continue
            removed[child] = removed.get(child, 0) + 1
            if removed[child] == fanout[child]:
                todo.append(child)
    return count
