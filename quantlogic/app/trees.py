"""The tree command's steps: build a diagram, check it, and write it in the format a file name asks for."""
import pathlib
import time

from ..errors import QuantlogicError

TREE_FORMATS = ("txt", "json", "dot", "py", "qlc", "aig", "aag", "blif", "v")


def build(net, neuron=None, max_nodes=None, max_input_bits=None, progress=None):
    """(diagram, verdict, seconds); progress(stage) as building a whole-network diagram (a branch and bound
    that can take long; a neuron's is built at once or refused by its budget) and checking start."""
    from ..lower import to_tree
    from ..verify.tree import verify_diagram

    if neuron is None:
        to_tree.check_network_bits(net, max_input_bits or to_tree.MAX_NETWORK_INPUT_BITS)
    else:
        to_tree.parse_neuron(net, neuron)
    if progress and neuron is None:
        progress("build the diagram")
    start = time.perf_counter()
    if neuron is not None:
        diagram = to_tree.neuron_diagram(net, neuron, max_nodes or to_tree.MAX_NODES)
    else:
        diagram = to_tree.network_diagram(net, max_input_bits or to_tree.MAX_NETWORK_INPUT_BITS,
                                          max_nodes or to_tree.MAX_NODES)
    seconds = time.perf_counter() - start
    if progress:
        progress("check it against the network")
    verdict = verify_diagram(net, diagram, neuron)
    if verdict.status in ("disproved", "undecided"):
        raise QuantlogicError(f"the diagram is {verdict.text}; nothing written")
    return diagram, verdict, seconds


def tree_format(path):
    """The format a tree output file's extension asks for (checked before any work)."""
    fmt = pathlib.Path(path).suffix.lower().lstrip(".")
    if fmt not in TREE_FORMATS:
        raise QuantlogicError(f"unknown tree output format {fmt or '(none)'!r}; choose one of {', '.join(TREE_FORMATS)}")
    return fmt


def render(net, diagram, path):
    """File content for path, by its extension."""
    from ..formats import diagram as tree_export

    fmt = tree_format(path)
    writers = {"txt": tree_export.to_text, "json": tree_export.to_json, "dot": tree_export.to_dot,
               "py": tree_export.to_python}
    if fmt in writers:
        return writers[fmt](diagram)
    return _as_circuit(net, diagram, fmt)


def _as_circuit(net, diagram, fmt):
    from ..formats.bundle import Bundle
    from ..formats.exporters import export
    from ..lower.tree_to_aig import diagram_to_aig
    from ..verify.network import verify_bundle

    if diagram.kind != "network":
        raise QuantlogicError("only a whole-network diagram becomes a circuit bundle or netlist")
    bundle = Bundle(net, diagram_to_aig(diagram), None, {"origin": "decision diagram"})
    circuit_verdict = verify_bundle(bundle)
    if not circuit_verdict.ok:
        raise QuantlogicError(f"the diagram's circuit is not proved ({circuit_verdict.text}); nothing written")
    bundle.meta["verdict"] = circuit_verdict.as_dict()
    return bundle.to_bytes() if fmt == "qlc" else export(bundle, fmt)
