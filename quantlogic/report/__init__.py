"""Text summaries a user reads: quantize, convert, inspect, verdicts."""
