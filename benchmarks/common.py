"""Helpers shared by the benchmark scripts (run by hand, from the repository root)."""
import pathlib
import statistics
import time

MODELS = pathlib.Path(__file__).resolve().parent.parent / "models"


def timed(fn):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def median_time(fn, repeat=5):
    """Median seconds of repeat calls."""
    return statistics.median(timed(fn)[1] for _ in range(repeat))
