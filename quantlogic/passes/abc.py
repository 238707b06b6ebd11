"""ABC (berkeley-abc) as a simplification pass: a script on our circuit through binary AIGER, with a timeout."""
import pathlib
import re
import tempfile

from .. import external
from ..errors import QuantlogicError

ALIASES = pathlib.Path(__file__).with_name("abc.rc")


def run_abc(aig, script, timeout=120):
    """(new AIG, ABC's last statistics line) after `strash; SCRIPT` on aig; pin names are kept."""
    from ..formats.aiger import from_aig, to_aig

    if not re.fullmatch(r"[A-Za-z0-9_ ;&\-.]+", script):
        raise QuantlogicError(f"--abc script {script!r} has characters that are not ABC commands")
    binary = external.find("abc")
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        (folder / "in.aig").write_bytes(to_aig(aig))
        commands = f"source {ALIASES}; read_aiger in.aig; strash; {script}; strash; print_stats; write_aiger -s out.aig"
        output, finished = external.run([binary, "-c", commands], folder, timeout)
        if not finished:
            raise QuantlogicError(f"ABC did not finish {script!r} within {timeout} s")
        if not (folder / "out.aig").exists():
            last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
            raise QuantlogicError(f"ABC failed on {script!r}: {last[0]}")
        new = from_aig((folder / "out.aig").read_bytes())
    stats = [line for line in output.splitlines() if "and =" in line]
    return new, (stats[-1].strip() if stats else "")
