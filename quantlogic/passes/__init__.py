"""Simplification passes on AIGs, their registry and the ABC bridge."""
