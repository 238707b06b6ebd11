"""Format names, file extensions and the exporter of each."""
import pathlib

from ..errors import QuantlogicError

FORMATS = ("aig", "aag", "blif", "v", "dot", "json")


def format_for(path, explicit=None):
    name = (explicit or pathlib.Path(path).suffix.lstrip(".")).lower()
    name = {"verilog": "v", "sv": "v"}.get(name, name)
    if name not in FORMATS:
        raise QuantlogicError(f"unknown export format {name or '(none)'!r}; choose one of {', '.join(FORMATS)} "
                              "(by file extension or --format)")
    return name


def export(bundle, fmt):
    """The file content (str or bytes) of bundle in format fmt."""
    from . import aiger, meta, netlist

    aig = bundle.aig
    if fmt == "aig":
        return aiger.to_aig(aig)
    if fmt == "aag":
        return aiger.to_aag(aig)
    if fmt == "blif":
        return netlist.to_blif(aig)
    if fmt == "v":
        return netlist.to_verilog(aig)
    if fmt == "dot":
        return netlist.to_dot(aig)
    return meta.to_json(bundle)
