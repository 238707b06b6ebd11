"""quantlogic: quantize a neural network to a few bits and turn it into exact logic."""

__version__ = "0.1.0"
