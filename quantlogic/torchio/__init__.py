"""The only place torch is imported: reading checkpoints and running fake-quantized torch models."""
