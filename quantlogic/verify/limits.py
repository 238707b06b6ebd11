"""How far verification simulates: every input pattern up to EXHAUSTIVE_LIMIT inputs, else random vectors."""
EXHAUSTIVE_LIMIT = 22
RANDOM_VECTORS = 1 << 14
