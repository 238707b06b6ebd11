"""Proofs that a circuit equals its IntNetwork, with honest verdicts."""
