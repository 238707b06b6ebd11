"""Validation shared by the kernels' public wrappers: an AIG as AND fan-in arrays in topological order,
literals within it. Every wrapper checks its arrays here before a numba loop indexes them unchecked."""
import numpy as np


def fanins(fanin0, fanin1, n_inputs):
    """The fan-in arrays as contiguous int64; each AND's fan-ins must be literals of earlier nodes."""
    fanin0 = np.ascontiguousarray(fanin0, dtype=np.int64)
    fanin1 = np.ascontiguousarray(fanin1, dtype=np.int64)
    if fanin0.ndim != 1 or fanin0.shape != fanin1.shape or int(n_inputs) < 0:
        raise ValueError("fan-ins must be two 1-D arrays of equal length over a non-negative input count")
    nodes = np.arange(1 + n_inputs, 1 + n_inputs + len(fanin0))
    if len(fanin0) and (min(fanin0.min(), fanin1.min()) < 0 or np.any(fanin0 >> 1 >= nodes)
                        or np.any(fanin1 >> 1 >= nodes)):
        raise ValueError("fan-ins must be literals of earlier nodes")
    return fanin0, fanin1


def literals(lits, n_nodes, what="literal"):
    """lits as a contiguous 1-D int64 array; each must name one of n_nodes nodes."""
    lits = np.ascontiguousarray(lits, dtype=np.int64).reshape(-1)
    if len(lits) and (lits.min() < 0 or lits.max() >= 2 * n_nodes):
        raise ValueError(f"a {what} refers beyond the {n_nodes} nodes")
    return lits


def node_map(repl, n_nodes):
    """A replacement literal (or -1) per node, as contiguous int64."""
    repl = np.ascontiguousarray(repl, dtype=np.int64)
    if repl.shape != (n_nodes,) or (len(repl) and (repl.min() < -1 or repl.max() >= 2 * n_nodes)):
        raise ValueError(f"repl needs one literal or -1 for each of the {n_nodes} nodes")
    return repl
