"""The only place ABC (berkeley-abc) is run: a script on our circuit through binary AIGER, with a timeout."""
import pathlib
import re
import shutil
import subprocess
import tempfile

from ..errors import QuantlogicError

ALIASES = pathlib.Path(__file__).with_name("abc.rc")
BINARIES = ("berkeley-abc", "yosys-abc", "abc")


def find_abc():
    for name in BINARIES:
        path = shutil.which(name)
        if path:
            return path
    raise QuantlogicError("ABC is not installed (looked for berkeley-abc, yosys-abc, abc); on Debian: "
                          "apt-get install berkeley-abc")


def run_abc(aig, script, timeout=120):
    """(new AIG, ABC's last statistics line) after `strash; SCRIPT` on aig; pin names are kept."""
    from ..formats.aiger import from_aig, to_aig

    if not re.fullmatch(r"[A-Za-z0-9_ ;&\-.]+", script):
        raise QuantlogicError(f"--abc script {script!r} has characters that are not ABC commands")
    binary = find_abc()
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        (folder / "in.aig").write_bytes(to_aig(aig))
        commands = f"source {ALIASES}; read_aiger in.aig; strash; {script}; strash; print_stats; write_aiger -s out.aig"
        try:
            proc = subprocess.run([binary, "-c", commands], cwd=folder, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise QuantlogicError(f"ABC did not finish {script!r} within {timeout} s") from None
        output = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
        if not (folder / "out.aig").exists():
            last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
            raise QuantlogicError(f"ABC failed on {script!r}: {last[0]}")
        new = from_aig((folder / "out.aig").read_bytes())
    stats = [line for line in output.splitlines() if "and =" in line]
    return new, (stats[-1].strip() if stats else "")
