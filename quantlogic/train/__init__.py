"""Torch training of the integer semantics: fine-tuning and the fake-quantized forward (imports torch)."""
