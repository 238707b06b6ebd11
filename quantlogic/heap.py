"""Giving freed memory back to the operating system: the C library keeps pages that large arrays and many
small objects freed (glibc's heap grows but seldom shrinks on its own), so a process that frees a lowered
circuit's hash and then builds the next large structure would peak at both. The only place libc is called."""
import ctypes
import ctypes.util
import functools
import gc


def give_back():
    """Collect garbage and return the C heap's free pages to the system (glibc malloc_trim; elsewhere only
    the garbage collection)."""
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
