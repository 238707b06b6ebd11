"""Running the external tools (ABC, Yosys): found on PATH, run in a folder with a timeout, their output
returned without colour codes. The only place a subprocess is started."""
import re
import shutil
import subprocess

from .errors import QuantlogicError

INSTALL = {"abc": "apt-get install berkeley-abc", "yosys": "apt-get install yosys"}
BINARIES = {"abc": ("berkeley-abc", "yosys-abc", "abc"), "yosys": ("yosys",)}


def find(tool):
    """The path of tool ("abc" or "yosys"); QuantlogicError saying how to install it when it is missing."""
    for name in BINARIES[tool]:
        path = shutil.which(name)
        if path:
            return path
    raise QuantlogicError(f"{tool} is not installed (looked for {', '.join(BINARIES[tool])}); on Debian: "
                          f"{INSTALL[tool]}")


def run(command, folder, timeout):
    """(output text, finished): stdout and stderr of command run in folder, finished False when it was
    stopped after timeout seconds."""
    try:
        proc = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        text = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return re.sub(r"\x1b\[[0-9;]*m", "", text), False
    return re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr), True
