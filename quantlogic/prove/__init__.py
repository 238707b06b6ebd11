"""Proofs that two literals of a circuit are equal: windows, exhaustive simulation, SAT (below the passes)."""
