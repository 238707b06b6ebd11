"""Bit widths against accuracy and circuit size: one proved conversion per (wbits, abits, ibits)."""
import re
import time

from ..errors import QuantlogicError


def parse_bits(text):
    """[(wbits, abits, ibits), ...] from "2/2/2,3/2/2"; each width 1 to 8."""
    widths = []
    for item in text.split(","):
        match = re.fullmatch(r"\s*([1-8])/([1-8])/([1-8])\s*", item)
        if not match:
            raise QuantlogicError(f"--bits: {item.strip()!r} is not W/A/I with each of 1 to 8 (e.g. 3/2/2)")
        widths.append(tuple(int(g) for g in match.groups()))
    return widths


def sweep(checkpoint, calib, test, widths, progress=None, **options):
    """One row per bit widths: accuracy (float, IntNetwork, circuit) on the labelled test rows, ANDs and
    levels of the simplified circuit, seconds and verdict. options go to convert (act, method, finetune, ...)."""
    from .convert import convert, labelled, simplify_converted

    test = labelled(test)
    rows = []
    for k, (wbits, abits, ibits) in enumerate(widths):
        if progress:
            progress(f"{wbits}/{abits}/{ibits}", k, len(widths))
        start = time.perf_counter()
        bundle, verdict, summary = convert(checkpoint, calib, wbits=wbits, abits=abits, ibits=ibits, test=test,
                                           **options)
        small, warning = simplify_converted(bundle)
        rows.append({"wbits": wbits, "abits": abits, "ibits": ibits,
                     "float_accuracy": summary.get("test_float_accuracy"),
                     "intnet_accuracy": summary["test_quantized_accuracy"],
                     "circuit_accuracy": small.accuracy(*test), "ands": small.ands, "levels": small.levels,
                     "seconds": round(time.perf_counter() - start, 2),
                     "verdict": (small.verdict or verdict).text})
    return rows
