"""Format names, file extensions and the exporter of each."""
import pathlib

from ..errors import QuantlogicError

FORMATS = ("aig", "aag", "blif", "v", "dot", "json", "reference")


def format_for(path, explicit=None):
    name = (explicit or pathlib.Path(path).suffix.lstrip(".")).lower()
    name = {"verilog": "v", "sv": "v"}.get(name, name)
    if name not in FORMATS:
        raise QuantlogicError(f"unknown export format {name or '(none)'!r}; choose one of {', '.join(FORMATS)} "
                              "(by file extension or --format)")
    return name


def export(bundle, fmt):
    """The file content (str or bytes) of bundle in format fmt."""
    from . import aiger, meta, netlist, reference

    if fmt == "json":
        return meta.to_json(bundle)
    if fmt == "reference":
        return reference.to_reference_verilog(bundle.net)
    writers = {"aig": aiger.to_aig, "aag": aiger.to_aag, "blif": netlist.to_blif, "v": netlist.to_verilog,
               "dot": netlist.to_dot}
    return writers[fmt](bundle.aig)
