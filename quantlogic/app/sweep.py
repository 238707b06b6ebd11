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
    workers (see quantlogic.workers) run one conversion each; those of a cluster get the checkpoint's bytes
    and the rows, so they need no shared files; progress(stage, done, total) as the rows come in."""
    from ..verify.limits import effort
    from ..workers import Here
    from .convert import labelled, rows_of

    test = labelled(test)
    calib = rows_of(calib, keep_shape=True)  # (X, y): labels of an .npz go with the rows, as convert reads them
    source = pathlib.Path(checkpoint)
    if not source.is_file():
        raise QuantlogicError(f"{checkpoint}: no such file")
    place = workers or Here()
    checkpoint = source if isinstance(place, Here) else (source.name, source.read_bytes())
    results = iter(place.map(sweep_row, widths, checkpoint, calib, test, effort(), options))
    rows = []
    for k, (wbits, abits, ibits) in enumerate(widths):
        if progress:
            progress(f"{wbits}/{abits}/{ibits}", k, len(widths))
        rows.append(next(results))
    return rows


def sweep_row(checkpoint, calib, test, scale, options, wbits, abits, ibits):
    """The sweep's row of one conversion at these bit widths; checkpoint is a path, or (file name, bytes) to
    write to a temporary folder and read; calib: (X, y or None); scale: the proof effort."""
    import contextlib
    import tempfile

    from ..verify.limits import proof_effort
    from .convert import convert, simplify_converted

    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        stack.enter_context(proof_effort(scale))
        if isinstance(checkpoint, tuple):
            name, data = checkpoint
            checkpoint = pathlib.Path(stack.enter_context(tempfile.TemporaryDirectory())) / name
            checkpoint.write_bytes(data)
        bundle, verdict, summary = convert(checkpoint, calib[0], labels=calib[1], wbits=wbits, abits=abits,
                                           ibits=ibits, test=test, **options)
        small, _ = simplify_converted(bundle)
    return {"wbits": wbits, "abits": abits, "ibits": ibits, "float_accuracy": summary.get("test_float_accuracy"),
            "intnet_accuracy": summary["test_quantized_accuracy"], "circuit_accuracy": small.accuracy(*test),
            "ands": small.ands, "levels": small.levels, "seconds": round(time.perf_counter() - start, 2),
            "verdict": (small.verdict or verdict).text}
