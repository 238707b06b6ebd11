"""The steps the CLI chains: checkpoint -> FloatNetwork -> IntNetwork, with the summary a user sees."""
import pathlib

import numpy as np

from ..model.data import from_arrays, load_dataset
from ..errors import QuantlogicError
from ..heap import give_back
from ..model.floatnet import fold
from ..names import check_names


def load_float_network(checkpoint, act="relu", trust_pickle=False, X=None):
    """Read and fold a checkpoint; when the format can run (TorchScript, .pt2, pickled module) and X is
    given, check that the folded network computes what the original model computes. X's samples may have
    several dimensions (images, (N, C, H, W)): the model is run on them as they are, and its input row is their
    row-major flattening. net.source is (name, sha256) of the file, or of an nn.Module's TorchScript."""
    from ..model.checkpoint import file_sha256, load_checkpoint
    from ..model.floatnet import Layer
    from ..model.torchscript import is_module, read_module

    sample = None if X is None else X.shape[1:]
    if is_module(checkpoint):
        if X is None:
            raise QuantlogicError("an nn.Module is read by tracing it: give calibration rows")
        layers, runnable, digest = read_module(checkpoint, sample)
        source = (f"nn.Module {type(checkpoint).__name__}", digest)
    else:
        layers, runnable = load_checkpoint(checkpoint, act, trust_pickle, sample)
        source = (pathlib.Path(checkpoint).name, file_sha256(checkpoint))
    if runnable is not None and sample is not None and len(sample) > 1:  # the row's shape, for a convolution
        layers = [Layer("reshape", {"shape": sample}, "the samples' shape")] + layers
    n_features = None if X is None else int(np.prod(sample))
    net = fold(layers, n_features)
    net.source = source
    if runnable is not None and X is not None:
        if n_features != net.n_inputs:
            raise QuantlogicError(f"the calibration data has {n_features} features, the model takes {net.n_inputs}")
        want = runnable(X[:256])
        got = net.original_outputs(net.forward(X[:256].reshape(len(X[:256]), -1))[1])
        if want.shape != got.shape or np.max(np.abs(want - got)) > 1e-3 * (1 + np.max(np.abs(want))):
            raise QuantlogicError(f"{checkpoint}: the model does not compute a plain sequence of its layers "
                                  "(its forward differs from its layers run in the order read)")
    return net


def feature_names_for(checkpoint, names_file, n_features):
    """Names from --feature-names, else from feature_names.txt beside the checkpoint, else none."""
    from ..model.torchscript import is_module

    if is_module(checkpoint) and not names_file:
        return []
    path = pathlib.Path(names_file) if names_file else pathlib.Path(checkpoint).with_name("feature_names.txt")
    if not path.is_file():
        if names_file:
            raise QuantlogicError(f"{path}: no such file")
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuantlogicError(f"{path}: cannot read feature names ({type(exc).__name__})") from None
    names = check_names([line.strip() for line in text.splitlines() if line.strip()], "feature", path)
    if len(names) != n_features:
        raise QuantlogicError(f"{path}: {len(names)} feature names for a model with {n_features} inputs")
    return names


def quantize_checkpoint(checkpoint, calib, *, labels=None, **options):
    """Return (IntNetwork, summary dict) for a checkpoint and a calibration file (see quantize_rows)."""
    X, y = load_dataset(calib, labels, keep_shape=True)
    return quantize_rows(checkpoint, X, y, **options)


def quantize_rows(checkpoint, X, y=None, *, wbits, abits, ibits, act="relu", trust_pickle=False, method="mse",
                  names_file=None, test=None, finetune=None, progress=None):
    """Return (IntNetwork, summary dict) for a checkpoint and calibration rows X (labels y, if any); test
    names a held-out labelled file whose float and quantized accuracy go into the summary. finetune
    (FinetuneOptions) trains the PTQ result into the integer semantics (progress(epoch, epochs, loss,
    score) after each epoch)."""
    from ..quant.quantize import build, ptq_params
    from ..train.fakequant import fake_quant_forward

    test = labelled(test) if test is not None else None  # read before the work, so a bad file stops it
    net = load_float_network(checkpoint, act, trust_pickle, X)
    X = X.reshape(len(X), -1)
    params = ptq_params(net, X, wbits, abits, ibits, method)
    tuned = None
    if finetune is not None:
        from ..train.finetune import finetune as run_finetune

        ptq_net = build(params)[0]
        params, tuned = run_finetune(net, params, X, y, finetune, progress, method)
    intnet, fq = build(params)
    intnet.feature_names = feature_names_for(checkpoint, names_file, net.n_inputs)
    fq_hidden, fq_pred = fake_quant_forward(fq, X)
    int_hidden, logits = intnet.forward_codes(intnet.encode(X))
    int_pred = np.argmax(logits, axis=1)
    same = fq_pred == int_pred
    for a, b in zip(fq_hidden, int_hidden):
        same &= np.all(a == b, axis=1)
    summary = {
        "widths": intnet.widths, "wbits": wbits, "abits": abits, "ibits": ibits, "method": method,
        "calib_rows": len(X), "fake_quant_agreement": float(same.mean()),
        "fake_quant_disagreements": int((~same).sum()), "classes_predicted": len(np.unique(int_pred)),
        "classes": intnet.n_classes, "activations": [layer.act for layer in net.hidden],
        "single_logit": net.single_logit,
    }
    if y is not None:
        summary["float_accuracy"] = float(np.mean(np.argmax(net.forward(X)[1], axis=1) == y))
        summary["quantized_accuracy"] = float(np.mean(int_pred == y))
    if tuned is not None:
        summary["finetune"] = {**tuned, "epochs": finetune.epochs, "seed": finetune.seed, "fanin": finetune.fanin}
    if test is not None:
        summary["test_float_accuracy"], summary["test_quantized_accuracy"] = accuracy_on(intnet, net, test)
        if tuned is not None:
            summary["test_ptq_accuracy"] = accuracy_on(ptq_net, None, test)[1]
    name, digest = net.source
    intnet.meta = {"source_sha256": digest, "source": name, **summary}
    return intnet, summary


def rows_of(calib, labels=None, keep_shape=False):
    """(X, y) of calibration rows: a data file (and labels file), or arrays given in Python; keep_shape keeps
    samples of several dimensions as they are (else each is one flat row)."""
    if isinstance(calib, (str, pathlib.Path)):
        return load_dataset(calib, labels, keep_shape)
    return from_arrays(calib, labels, keep_shape=keep_shape)


def labelled(data, labels=None):
    """(X, y) of a data file that has labels (rows already read pass through)."""
    if isinstance(data, tuple):
        return data
    X, y = load_dataset(data, labels)
    if y is None:
        raise QuantlogicError(f"{data}: no labels (an .npz with X and y, or --labels)")
    return X, y


def accuracy_on(intnet, net, data, labels=None):
    """(float accuracy or None, quantized accuracy) on a labelled data file or (X, y) rows."""
    X, y = labelled(data, labels)
    if X.shape[1] != intnet.n_features:
        raise QuantlogicError(f"the test data has {X.shape[1]} features, the network takes {intnet.n_features}")
    q = float(np.mean(intnet.predict(X) == y))
    f = float(np.mean(np.argmax(net.forward(X)[1], axis=1) == y)) if net is not None else None
    return f, q


def convert(source, calib=None, *, progress=None, allow_unproved=False, finetune_progress=None, workers=None,
            simplify_ahead=False, **quant_options):
    """Quantize (unless source is a .qnet), lower and verify; return (Bundle, verdict, summary).
    progress(stage, layer, steps) is called as each layer is lowered and proved (steps in all); a progress
    with expect(units) and advance(n) methods is also told of each neuron lowered and proved.
    Raises NotProvedError unless the circuit is proved, so no unproved bundle is written; with allow_unproved
    an undecided circuit is kept with the verdict tested (on N vectors, not proved). workers (see
    quantlogic.workers) prove the neurons; with simplify_ahead (the bundle is simplified next, see
    simplify_converted) workers of a cluster start on its layer windows before the proofs."""
    from ..formats.bundle import Bundle
    from ..lower.network import lower_network
    from ..formats.qnet import load as load_qnet
    from ..verify.network import verify_lowering

    X = None
    test = quant_options.get("test")
    if test is not None:
        quant_options["test"] = test = labelled(test)
    if isinstance(source, (str, pathlib.Path)) and pathlib.Path(source).suffix.lower() == ".qnet":
        if quant_options.get("finetune") is not None:
            raise QuantlogicError("--finetune needs a checkpoint with float weights, not a .qnet")
        intnet, summary = load_qnet(source), {}
        if calib is not None:
            X, _ = rows_of(calib)
        if test is not None:
            summary["test_quantized_accuracy"] = accuracy_on(intnet, None, test)[1]
    else:
        if calib is None:
            raise QuantlogicError("--calib is needed to quantize a checkpoint")
        X, y = rows_of(calib, quant_options.pop("labels", None), keep_shape=True)
        intnet, summary = quantize_rows(source, X, y, progress=finetune_progress, **quant_options)
        X = X.reshape(len(X), -1)
    steps = 2 * (len(intnet.hidden) + 1)  # each layer is lowered, then proved
    advance = getattr(progress, "advance", None)
    if advance:
        progress.expect(2 * (sum(W.shape[0] for W, _ in intnet.hidden) + intnet.n_classes))
    starter = _windows_ahead(workers, len(intnet.hidden) + 1) if simplify_ahead else None
    low = lower_network(intnet, progress=progress and (lambda stage: progress("lower", stage, steps)),
                        advance=advance, layer_done=starter and starter.layer_done)
    ahead = starter and starter.finish(low)
    verdict = verify_lowering(intnet, low, X, progress=progress and (lambda stage: progress("prove", stage, steps)),
                              advance=advance, workers=workers)
    verdict = accept(verdict, allow_unproved)
    low.aig.forget_hash()  # the simplification and the file do not need it
    give_back()
    bundle = Bundle(intnet, low.aig, low, {"layer_ands": low.layer_ands})
    bundle.windows_ahead = ahead
    bundle.record_verdict(verdict)
    if test is not None:
        summary["test_circuit_accuracy"] = bundle.accuracy(*test)
    return bundle, verdict, summary


def _windows_ahead(workers, n_layers):
    """A WindowsAhead that starts the default simplification's layer windows on the workers of a cluster as
    the layers are lowered, or None without such workers."""
    from ..passes.registry import EFFORT
    from ..passes.windows import WindowsAhead
    from ..verify.cec import window_equal

    if workers is None or workers.count < 2:
        return None
    return WindowsAhead(EFFORT["default"], workers, window_equal, n_layers)


def accept(verdict, allow_unproved=False):
    """The verdict a bundle may be written with; raises NotProvedError for any other."""
    from ..errors import NotProvedError
    from ..verdict import Verdict

    if verdict.ok:
        return verdict
    if verdict.status == "undecided" and allow_unproved:
        return Verdict("tested", verdict.method, verdict.reason, verdict.vectors, details=verdict.details)
    hint = " (--allow-unproved writes it as tested, not proved)" if verdict.status == "undecided" else ""
    raise NotProvedError(f"the circuit is {verdict.text}; nothing written{hint}", verdict)


def simplify_converted(bundle, progress=None, workers=None):
    """(bundle, warning): the converted bundle simplified by the default passes and proved equal (see
    simplify_bundle for workers), or, when simplification stops with an error, the lowered (proved) bundle
    and the reason it is kept as lowered."""
    from ..passes.registry import EFFORT
    from .simplify import simplify_bundle

    try:
        return simplify_bundle(bundle, EFFORT["default"], progress=progress, workers=workers), None
    except QuantlogicError as exc:
        return bundle, f"simplification skipped, writing the circuit as lowered: {exc}"
    except MemoryError:
        return bundle, "simplification ran out of memory, writing the circuit as lowered"
