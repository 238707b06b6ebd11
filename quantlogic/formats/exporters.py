"""Format names, file extensions and the exporter of each."""
import pathlib

from ..errors import QuantlogicError

FORMATS = ("aig", "aag", "blif", "v", "dot", "json", "reference", "c")


def format_for(path, explicit=None):
    name = (explicit or pathlib.Path(path).suffix.lstrip(".")).lower()
    name = {"verilog": "v", "sv": "v"}.get(name, name)
    if name not in FORMATS:
        raise QuantlogicError(f"unknown export format {name or '(none)'!r}; choose one of {', '.join(FORMATS)} "
                              "(by file extension or --format)")
    return name


def export(bundle, fmt):
    """The file content (str or bytes) of bundle in format fmt."""
    from . import aiger, c_eval, meta, netlist, reference

    if fmt == "c":
        return c_eval.to_c(bundle.aig, header=pin_comments(bundle.net))
    if fmt == "json":
        return meta.to_json(bundle)
    if fmt == "reference":
        return reference.to_reference_verilog(bundle.net)
    if fmt == "v":
        return netlist.to_verilog(bundle.aig, header=pin_comments(bundle.net))
    writers = {"aig": aiger.to_aig, "aag": aiger.to_aag, "blif": netlist.to_blif, "v": netlist.to_verilog,
               "dot": netlist.to_dot}
    return writers[fmt](bundle.aig)


def pin_comments(net):
    """One line per feature naming its input pins, and one for the class index pins."""
    from ..quant.codes import index_bits, input_pin, output_pin

    lines = [f"{input_pin(i, 0)}..{input_pin(i, net.ibits - 1)}: code of feature {i} ({name}), bit 0 first"
             for i, name in enumerate(net.names())]
    return lines + [f"{output_pin(0)}..{output_pin(index_bits(net.n_classes) - 1)}: the class index "
                    f"({net.n_classes} classes), bit 0 first"]
