"""numba flags shared by every kernel, and whether their compiled code is cached on disk yet."""
import os
import pathlib

NJIT = {"cache": True, "nogil": True}
# Helpers that take arrays but allocate none: compiled without reference counting. Called from a hot loop,
# numba's inlining (or a plain call) pays two atomic reference counts per array argument and call (~10x the
# helper's own work); without NRT, LLVM inlines them and nothing is counted (numba's own unicode and
# mergesort helpers are built this way).
LEAF = {**NJIT, "_nrt": False}
BLOCK_WORDS = 32  # 64-pattern words simulated together per slot (2 KiB per live node)


def kernels_cached():
    """Whether numba's on-disk cache already holds compiled kernels (else the first command compiles them):
    the kernels' __pycache__, or $NUMBA_CACHE_DIR when set."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    places = [pathlib.Path(folder)] if folder else [pathlib.Path(__file__).parent / "__pycache__"]
    return any(next(place.rglob("simulate.*.nbi"), None) for place in places if place.is_dir())
