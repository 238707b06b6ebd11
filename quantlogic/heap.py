"""Giving freed memory back to the operating system: the C library keeps pages that large arrays and many
small objects freed (glibc's heap grows but seldom shrinks on its own), so a process that frees a lowered
circuit's hash and then builds the next large structure would peak at both. The only place libc is called."""
import ctypes
import ctypes.util
import gc

_TRIM = []


def give_back():
    """Collect garbage and return the C heap's free pages to the system (glibc malloc_trim; elsewhere only
    the garbage collection)."""
    gc.collect()
    if not _TRIM:
        name = ctypes.util.find_library("c")
        library = ctypes.CDLL(name) if name else None
        _TRIM.append(getattr(library, "malloc_trim", None))
    if _TRIM[0] is not None:
        _TRIM[0](0)
