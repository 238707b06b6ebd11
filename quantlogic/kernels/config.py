"""numba flags shared by every kernel."""
NJIT = {"cache": True, "nogil": True}
BLOCK_WORDS = 32  # 64-pattern words simulated together per slot (2 KiB per live node)
