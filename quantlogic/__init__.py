"""quantlogic: quantize a neural network to a few bits and turn it into exact logic.

The Python API (each name is imported on first use, so `import quantlogic` stays light):

    bundle, verdict, summary = quantlogic.convert("model.pt", "calib.npy", wbits=3, abits=3, ibits=3)
    bundle, verdict, summary = quantlogic.convert(module, calib=X, wbits=2, abits=2, ibits=2)  # an nn.Module
    small = quantlogic.simplify(bundle)                  # proved equivalent before it is returned
    quantlogic.check(bundle).text                        # 'proved (per-neuron + composition)'
    quantlogic.equivalent(bundle, small).status          # 'proved': the same function (also: diff)
    bundle.predict(X), bundle.accuracy(X, y), bundle.ands, bundle.levels, bundle.verdict
    quantlogic.export(small, "v")                        # Verilog text; also aig, blif, json, reference
    bundle.save("net.qlc"); quantlogic.load("net.qlc")   # .qlc bundles and .qnet integer networks
    quantlogic.predict("net.qlc", X)                     # classes of rows X from a .qnet, .qlc or tree .json
    with quantlogic.proof_effort(4): quantlogic.check(bundle)   # every proof budget x 4 (as --proof-effort)
    with quantlogic.open_workers(2) as w:                # 2 local worker processes (as --workers 2), or
        quantlogic.convert("model.pt", "calib.npy", workers=w)   # open_workers(scheduler="tcp://HOST:8786")
"""

__version__ = "0.1.0"
__all__ = ["convert", "simplify", "check", "diff", "equivalent", "export", "load", "predict", "proof_effort",
           "open_workers", "QuantlogicError"]


def convert(source, calib=None, **options):
    """(Bundle, Verdict, summary) of a checkpoint, .qnet or torch nn.Module (traced on the calibration rows,
    which may be a data file or an array): quantized (options of app.convert.quantize_rows:
    wbits, abits, ibits, act, method, finetune, test, ...), lowered and proved; raises NotProvedError
    unless proved."""
    from .app.convert import convert as run

    return run(source, calib, **options)


def simplify(bundle, passes=None, workers=None):
    """A new Bundle with the circuit simplified (default passes unless a list of pass names is given),
    proved equivalent to the one it came from (workers: see quantlogic.workers)."""
    from .app.simplify import simplify_bundle
    from .passes.registry import EFFORT

    return simplify_bundle(bundle, passes or EFFORT["default"], workers=workers)


def check(bundle, X=None, workers=None):
    """The Verdict of a bundle's circuit against its IntNetwork (rows X are simulated too); named check
    because quantlogic.verify is the package of the proofs (workers: see quantlogic.workers)."""
    from .verify.network import verify_bundle

    return verify_bundle(bundle, X, workers=workers)


def equivalent(first, second):
    """The Verdict of two bundles' circuits computing the same function of their pins (as diff)."""
    return diff(first, second)


def diff(first, second):
    """The Verdict of two bundles' circuits computing the same function of their pins."""
    from .app.diff import diff_bundles

    return diff_bundles(first, second)


def export(bundle, fmt):
    """The text or bytes of bundle in format fmt: aig, aag, blif, v, dot, json or reference."""
    from .errors import QuantlogicError
    from .formats.exporters import FORMATS
    from .formats.exporters import export as run

    if fmt not in FORMATS:
        raise QuantlogicError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return run(bundle, fmt)


def load(path):
    """A Bundle (.qlc) or an IntNetwork (.qnet), validated."""
    from .app.artifacts import open_artifact

    artifact = open_artifact(path)
    return getattr(artifact, "bundle", None) or getattr(artifact, "intnet", None) or artifact.diagram


def predict(model, X):
    """Class indices of rows X from a .qnet, .qlc or whole-network tree .json file (samples of several
    dimensions, such as images, are flattened row-major, as convert reads them)."""
    import numpy as np

    from .app.artifacts import open_artifact

    X = np.asarray(X, dtype=np.float64)
    return open_artifact(model).predict(X.reshape(len(X), -1) if X.ndim > 2 else X)


def proof_effort(scale):
    """A context manager: inside it every proof budget is multiplied by scale (the CLI's --proof-effort)."""
    from .verify.limits import proof_effort as scaled

    return scaled(scale)


def open_workers(n=1, scheduler=None):
    """A context manager giving the place work runs for convert, simplify and check (workers=): this
    process (n=1), n local Dask worker processes, or the workers of the Dask scheduler at tcp://HOST:PORT."""
    from .workers import WorkerOptions
    from .workers import open_workers as opened

    return opened(WorkerOptions(n, scheduler))


def __getattr__(name):
    if name == "QuantlogicError":
        from .errors import QuantlogicError

        return QuantlogicError
    raise AttributeError(f"module 'quantlogic' has no attribute {name!r}")
