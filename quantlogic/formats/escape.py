"""Names as each exported format must spell them, so that no name can add code or structure to a file.

Names are validated on the way in (names.check_names, bundle pins); these are the second fence, on the
way out: a name a format cannot carry safely is escaped, or refused with one clear line.
"""
import re

from ..errors import QuantlogicError

VERILOG_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
VERILOG_KEYWORDS = frozenset("""always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos
config deassign default defparam design disable edge else end endcase endconfig endfunction endgenerate
endmodule endprimitive endspecify endtable endtask event for force forever fork function generate genvar
highz0 highz1 if ifnone incdir include initial inout input instance integer join large liblist library
localparam macromodule medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output
parameter pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos
real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small
specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1
triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor""".split())
PRINTABLE = re.compile(r"[!-~]+\Z")  # visible ASCII, no space


def _refuse(name, fmt):
    raise QuantlogicError(f"the name {name[:40]!r} cannot be written to {fmt}: use letters, digits and _")


def verilog_name(name):
    """A plain identifier, or an escaped one (backslash ... space) for other visible ASCII."""
    if VERILOG_PLAIN.match(name) and name not in VERILOG_KEYWORDS:
        return name
    if PRINTABLE.match(name):
        return "\\" + name + " "
    return _refuse(name, "Verilog")


def blif_name(name):
    """BLIF signal names: visible ASCII with no comment (#), continuation (\\) or command (leading .) meaning."""
    if PRINTABLE.match(name) and "#" not in name and "\\" not in name and not name.startswith((".", "=")):
        return name
    return _refuse(name, "BLIF")


def aiger_symbol(name):
    """AIGER symbol table entries end at a newline."""
    if name and "\n" not in name and "\r" not in name and "\0" not in name:
        return name
    return _refuse(name, "AIGER")


def dot_string(name):
    """A double-quoted DOT string."""
    if "\n" in name or "\r" in name:
        return _refuse(name, "DOT")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def comment_text(text):
    """Text safe inside a // comment of any format: one line of visible ASCII."""
    return re.sub(r"[^ -~]", "?", str(text)).replace("*/", "*?")
