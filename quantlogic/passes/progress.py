"""How far the running pass has got, for a progress bar: a pass calls report_progress(done, total) now and
then, and run_passes hands it to whoever asked (by default, nobody)."""
import contextlib

_LISTENERS = [None]


@contextlib.contextmanager
def reporting(listener):
    """Inside the block, report_progress(done, total) calls listener(done, total)."""
    _LISTENERS.append(listener)
    try:
        yield
    finally:
        _LISTENERS.pop()


def report_progress(done, total):
    if _LISTENERS[-1] is not None:
        _LISTENERS[-1](done, total)
