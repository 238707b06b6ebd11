"""Simplification passes on AIGs; each is (aig, params) -> (aig, stats)."""
