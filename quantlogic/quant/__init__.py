"""Post-training quantization to a few bits and the exact integer network (the oracle)."""
