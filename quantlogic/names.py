"""Names that reach exported files (features, classes): validated on the way in, so no exporter can be made
to write code by a name."""
import re

from .errors import QuantlogicError

MAX_LENGTH = 64
SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .,:()+\-/%#]*\Z")


def check_names(names, what, where):
    """The names as a list of str; raises QuantlogicError naming the first that is not a safe, unique name
    of at most MAX_LENGTH characters (letters, digits, space and _ . , : ( ) + - / % #)."""
    if not isinstance(names, (list, tuple)):
        raise QuantlogicError(f"{where}: {what} names must be a list of strings")
    seen = set()
    for k, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise QuantlogicError(f"{where}: {what} name {k + 1} is not a non-empty string")
        if len(name) > MAX_LENGTH or not SAFE.match(name) or name != name.strip():
            raise QuantlogicError(f"{where}: {what} name {k + 1} ({name[:40]!r}) is not allowed: use at most "
                                  f"{MAX_LENGTH} letters, digits, spaces and _ . , : ( ) + - / % #")
        if name in seen:
            raise QuantlogicError(f"{where}: {what} name {name!r} appears twice")
        seen.add(name)
    return list(names)
