"""Checkpoints, the float network and data files: what the user brings (the torch importer)."""
