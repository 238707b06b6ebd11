"""Lowering of the integer network into logic."""
