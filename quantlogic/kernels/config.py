"""numba flags shared by every kernel."""
NJIT = {"cache": True, "nogil": True}
# Helpers that take arrays but allocate none: compiled without reference counting. Called from a hot loop,
# numba's inlining (or a plain call) pays two atomic reference counts per array argument and call (~10x the
# helper's own work); without NRT, LLVM inlines them and nothing is counted (numba's own unicode and
# mergesort helpers are built this way).
LEAF = {**NJIT, "_nrt": False}
BLOCK_WORDS = 32  # 64-pattern words simulated together per slot (2 KiB per live node)
