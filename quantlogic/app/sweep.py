"""Bit widths against accuracy and circuit size: one proved conversion per (wbits, abits, ibits)."""
import pathlib
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


def sweep(checkpoint, calib, test, widths, progress=None, workers=None, **options):
    """One row per bit widths: accuracy (float, IntNetwork, circuit) on the labelled test rows, ANDs and
    levels of the simplified circuit, seconds and verdict. options go to convert (act, method, finetune, ...).
    workers (see quantlogic.workers) run one conversion each, given the checkpoint's bytes and the rows, so
    they need no shared files; progress(stage, done, total) as the rows come in."""
    from ..verify.limits import effort
    from ..workers import Here
    from .convert import labelled, rows_of

    test = labelled(test)
    calib = rows_of(calib)  # (X, y): labels of an .npz go with the rows, as when convert reads the file
    source = pathlib.Path(checkpoint)
    if not source.is_file():
        raise QuantlogicError(f"{checkpoint}: no such file")
    shared = ((source.name, source.read_bytes()), calib, test, effort(), options)
    results = iter((workers or Here()).map(sweep_row, widths, *shared))
    rows = []
    for k, (wbits, abits, ibits) in enumerate(widths):
        if progress:
            progress(f"{wbits}/{abits}/{ibits}", k, len(widths))
        rows.append(next(results))
    return rows


def sweep_row(checkpoint, calib, test, scale, options, wbits, abits, ibits):
    """The sweep's row of one conversion at these bit widths; checkpoint is (file name, bytes), written to a
    temporary folder to be read; calib: (X, y or None); scale: the proof effort."""
    import tempfile

    from ..verify.limits import proof_effort
    from .convert import convert, simplify_converted

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, proof_effort(scale):
        path = pathlib.Path(folder) / checkpoint[0]
        path.write_bytes(checkpoint[1])
        bundle, verdict, summary = convert(path, calib[0], labels=calib[1], wbits=wbits, abits=abits, ibits=ibits,
                                           test=test, **options)
        small, _ = simplify_converted(bundle)
    return {"wbits": wbits, "abits": abits, "ibits": ibits, "float_accuracy": summary.get("test_float_accuracy"),
            "intnet_accuracy": summary["test_quantized_accuracy"], "circuit_accuracy": small.accuracy(*test),
            "ands": small.ands, "levels": small.levels, "seconds": round(time.perf_counter() - start, 2),
            "verdict": (small.verdict or verdict).text}
