"""Command line: parses arguments and dispatches; the work lives in the stage modules."""
import signal
import sys
import time

import click

from . import __version__
from .errors import QuantlogicError
from .cli_options import act_option, finetune_options, proof_effort_option, quant_options, workers_option
from .progress import EpochProgress, StageProgress, long_work_starts, on_long_work, stages


class Group(click.Group):
    """Turns a QuantlogicError into one line on stderr and exit status 2."""

    def invoke(self, ctx):
        signal.signal(signal.SIGTERM, _terminated)
        start = time.perf_counter()
        try:
            result = super().invoke(ctx)
        except SystemExit as exc:  # verify and diff end with their verdict's exit status
            _total_time(ctx, start, exc.code in (0, 1, 3))
            raise
        except QuantlogicError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except MemoryError:
            click.echo("error: out of memory; try a smaller model or fewer bits", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing written", err=True)
            sys.exit(130)
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _total_time(ctx, start, True)
        return result


LONG_COMMANDS = {"quantize", "convert", "simplify", "verify", "tree", "diff", "sweep"}


COMPILING_COMMANDS = LONG_COMMANDS | {"predict", "report"}


def _announce_compilation():
    """Say so before a first run compiles the numba kernels (tens of seconds, once)."""
    from .kernels.config import kernels_cached

    if not kernels_cached():
        click.echo("compiling the numba kernels on this first run (about a minute; cached for later runs)", err=True)


def _total_time(ctx, start, finished):
    """The total time of a long command, on stderr, once it has done its work."""
    if finished and ctx.invoked_subcommand in LONG_COMMANDS and not (ctx.obj or {}).get("quiet"):
        click.echo(f"total time {time.perf_counter() - start:.1f} s", err=True)


def _terminated(signum, frame):
    """SIGTERM unwinds like an interrupt, so a file being written is removed, not left half-done."""
    raise KeyboardInterrupt


@click.group(cls=Group)
@click.version_option(__version__, prog_name="quantlogic")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no total time on stderr (errors still show).")
@click.pass_context
def main(ctx, quiet):
    """Quantize a neural network to a few bits and melt it into exact logic."""
    ctx.obj = {"quiet": quiet}
    if ctx.invoked_subcommand in COMPILING_COMMANDS:
        on_long_work(_announce_compilation)  # said when the long work starts, after the input checks


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .qnet file to write.")
@click.option("--test", "test_data", type=click.Path(dir_okay=False), help="Held-out .npz (X, y) to report accuracy.")
@quant_options
def quantize(checkpoint, calib, output, wbits, abits, ibits, act, labels, test_data, method, feature_names, trust_pickle,
             finetune, epochs, seed, holdout, fanin, augment):
    """Quantize CHECKPOINT into an integer network (.qnet)."""
    if not calib:
        raise QuantlogicError("--calib is needed to quantize a checkpoint")
    from .app.convert import quantize_checkpoint
    from .formats import qnet
    from .formats.container import check_output
    from .report.summaries import quantize_summary

    check_output(output, (".qnet",), "the integer network")

    options = finetune_options(finetune, epochs, seed, fanin, holdout, augment)
    progress = EpochProgress()
    try:
        intnet, summary = quantize_checkpoint(checkpoint, calib, wbits=wbits, abits=abits, ibits=ibits, act=act,
                                              trust_pickle=trust_pickle, labels=labels, method=method,
                                              names_file=feature_names, test=test_data, finetune=options,
                                              progress=progress)
    finally:
        progress.close()
    qnet.save(intnet, output)
    click.echo(quantize_summary(summary))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the predictions to a file: .npy (int64 array), or .txt / .csv (one class per line).")
def predict(model, data, output):
    """Predict classes of the rows in DATA with MODEL (.qnet, .qlc, or a diagram .json)."""
    import numpy as np

    from .app.artifacts import open_artifact
    from .formats.container import check_output, write_atomic
    from .model.data import row_chunks

    if output:
        check_output(output, (".npy", ".txt", ".csv"), "the predictions file")
    artifact = open_artifact(model)
    parts = [artifact.predict(X) for X in row_chunks(data)]  # an .npy is streamed: memory bounded by a chunk
    if not parts:
        raise QuantlogicError(f"{data}: holds no rows")
    predictions = np.concatenate(parts)
    if output and output.lower().endswith(".npy"):
        import io

        buffer = io.BytesIO()
        np.save(buffer, predictions.astype(np.int64))
        write_atomic(output, buffer.getvalue())
    elif output:
        write_atomic(output, "".join(f"{int(p)}\n" for p in predictions))
    else:
        click.echo("\n".join(str(int(p)) for p in predictions))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--neuron", help="One hidden neuron, LAYER.INDEX: its inputs, SOP when small, and gates.")
@click.option("--json", "as_json", is_flag=True, help="A machine-readable summary (JSON) instead of text.")
def inspect(model, neuron, as_json):
    """Describe MODEL: layers, shapes, bits, thresholds (and gates for a circuit)."""
    from .app.artifacts import CircuitArtifact, QnetArtifact, open_artifact

    artifact = open_artifact(model)
    if as_json and neuron is None:
        import json

        click.echo(json.dumps(artifact.summary(), indent=1, sort_keys=True, default=str))
        return
    if as_json:
        raise QuantlogicError("--json describes the whole file; leave out --neuron")
    if neuron is None:
        click.echo(artifact.describe())
        return
    from .report.summaries import describe_neuron

    if isinstance(artifact, CircuitArtifact):
        click.echo(describe_neuron(artifact.bundle.net, neuron, artifact.bundle))
    elif isinstance(artifact, QnetArtifact):
        click.echo(describe_neuron(artifact.intnet, neuron))
    else:
        raise QuantlogicError(f"{model}: --neuron needs a .qnet or .qlc file")


@main.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .qlc bundle to write.")
@click.option("--no-simplify", is_flag=True,
              help="Keep the circuit as lowered (default: simplify it as simplify --effort default does).")
@click.option("--allow-unproved", is_flag=True,
              help="Write a circuit whose proof is undecided, with the verdict 'tested on N vectors (not proved)'.")
@click.option("--test", "test_data", type=click.Path(dir_okay=False),
              help="Held-out labelled rows (.npz with X and y): float, IntNetwork and circuit accuracy.")
@quant_options
@proof_effort_option
@workers_option
def convert(source, output, no_simplify, allow_unproved, test_data, calib, wbits, abits, ibits, act, labels, method,
            feature_names, trust_pickle, finetune, epochs, seed, holdout, fanin, augment, workers):
    """Quantize SOURCE (a checkpoint, or a .qnet), lower it to gates, prove it, simplify it, write a .qlc."""
    from .app.convert import convert as run_convert
    from .app.convert import simplify_converted
    from .formats.container import check_output
    from .report.summaries import convert_summary, quantize_summary, simplify_summary

    check_output(output, (".qlc",), "the bundle", " (export writes the other formats)")
    _refuse_quantize_options_for_qnet(source, click.get_current_context())
    options = finetune_options(finetune, epochs, seed, fanin, holdout, augment)
    progress, epochs_bar = StageProgress("read and quantize"), EpochProgress()
    try:
        bundle, verdict, summary = run_convert(source, calib, progress=progress, allow_unproved=allow_unproved,
                                               wbits=wbits, abits=abits,
                                               ibits=ibits, act=act, trust_pickle=trust_pickle, labels=labels,
                                               method=method, names_file=feature_names, finetune=options,
                                               finetune_progress=epochs_bar, test=test_data, workers=workers,
                                               simplify_ahead=not no_simplify)
    finally:
        epochs_bar.close()
        progress.close()
    progress.echo_summary()
    if "widths" in summary:
        click.echo(quantize_summary(summary))
    elif "test_quantized_accuracy" in summary:
        click.echo(f"test accuracy: IntNetwork {100 * summary['test_quantized_accuracy']:.2f}%")
    click.echo(convert_summary(bundle, verdict, summary))
    if not no_simplify and verdict.ok:
        from .app.simplify import simplify_steps
        from .passes.registry import EFFORT

        with stages("simplify", simplify_steps(bundle, EFFORT["default"])) as steps:
            bundle, warning = simplify_converted(bundle, steps, workers)
        click.echo(f"warning: {warning}" if warning else simplify_summary(bundle), err=bool(warning))
    bundle.save(output)
    click.echo(f"wrote {output}")


def _refuse_quantize_options_for_qnet(source, ctx):
    """A .qnet is already quantized: options that only steer quantization are an error, not ignored."""
    from click.core import ParameterSource

    if not str(source).lower().endswith(".qnet"):
        return
    names = ("wbits", "abits", "ibits", "act", "method", "labels", "feature_names", "finetune", "epochs", "seed",
             "fanin", "holdout", "augment")
    given = [f"--{name.replace('_', '-')}" for name in names
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        raise QuantlogicError(f"{source} is already quantized: {', '.join(given)} apply only to a checkpoint with "
                              "float weights")


@main.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .qlc bundle to write.")
@click.option("--passes", help="Comma-separated passes: sweep, fraig, rewrite, rewrite-z, rewrite-rounds (rewrite, "
                               "then rewrite-z + rewrite pairs while a pair saves >= 0.5 % of the ANDs, at most 2), "
                               "resub (resubstitution), rewrite-resub (rewrite, resub, then restructuring + resub "
                               "pairs while a pair saves >= 0.1 %, at most 2), collapse (a circuit of at most 12 inputs "
                               "rebuilt from its truth tables when smaller), balance.")
@click.option("--effort", type=click.Choice(["low", "default", "high"]),
              help="A preset list of passes: low = sweep,fraig; default = low + rewrite-resub, collapse; high = "
                   "low + rewrite-resub, fraig, rewrite-resub, collapse.")
@click.option("--abc", "abc_script", help='Run an ABC script after the passes, e.g. "dc2" or "resyn2".')
@proof_effort_option
@workers_option
def simplify(bundle_path, output, passes, effort, abc_script, workers):
    """Simplify the circuit of BUNDLE; the result is proved equivalent before it is written."""
    from .formats.bundle import load
    from .report.summaries import simplify_summary
    from .passes.registry import EFFORT, parse_passes
    from .app.simplify import simplify_bundle, simplify_steps

    from .formats.container import check_output

    check_output(output, (".qlc",), "the bundle")
    if passes and effort:
        raise QuantlogicError("give --passes or --effort, not both")
    names = parse_passes(passes) if passes else ([] if abc_script and not effort else EFFORT[effort or "default"])
    source = load(bundle_path)
    with stages("simplify", simplify_steps(source, names, abc_script)) as progress:
        bundle = simplify_bundle(source, names, abc_script, progress, workers)
    bundle.save(output)
    click.echo(simplify_summary(bundle))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option("--data", type=click.Path(dir_okay=False), help="Rows to test as well (.npy, .npz, .csv).")
@click.option("-v", "--verbose", is_flag=True, help="Also print how each part was proved.")
@click.option("--with-abc", is_flag=True, help="Prove it instead by tools we did not write: Yosys synthesizes the "
              "reference Verilog of the IntNetwork (export --format reference), ABC's cec compares that with the "
              "circuit (layer by layer; a simplified circuit against a fresh lowering proved so; whole when those "
              "fail).")
@click.option("--abc-timeout", default=60, show_default=True, type=click.IntRange(1, 86400),
              help="Seconds for each Yosys or ABC run of --with-abc.")
@proof_effort_option
@workers_option
def verify(bundle_path, data, verbose, with_abc, abc_timeout, workers):
    """Re-prove the circuit of BUNDLE (.qlc) against its stored IntNetwork.

    Exit status: 0 proved, 1 disproved (with a counterexample), 3 undecided, 2 bad input."""
    from .formats.bundle import load
    from .model.data import load_dataset
    from .report.summaries import verdict_lines
    from .verdict import EXIT_CODES
    from .verify.network import verify_bundle
    from .verify.peers import prove_with_abc

    if with_abc and data:
        raise QuantlogicError("--with-abc proves on every input; --data is for the tool's own verification")
    bundle = load(bundle_path)
    X = load_dataset(data)[0] if data else None
    layers = len(bundle.net.hidden) + 1
    if with_abc:
        with stages("abc cec", layers + (1 if bundle.lowering is not None else 2)) as progress:
            verdict = prove_with_abc(bundle, abc_timeout, progress=progress)
    else:
        with stages("verify", layers + (bundle.lowering is None)) as progress:
            verdict = verify_bundle(bundle, X, progress, workers)
    click.echo(verdict_lines(verdict, bundle.aig, verbose))
    sys.exit(EXIT_CODES[verdict.status])


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--calib", required=True, type=click.Path(dir_okay=False), help="Calibration rows (.npy, .npz, .csv).")
@click.option("--test", "test_data", required=True, type=click.Path(dir_okay=False),
              help="Held-out labelled rows (.npz with X and y).")
@click.option("--bits", default="2/2/2,3/2/2,3/3/3", show_default=True,
              help="Comma-separated W/A/I bit widths (weights/activations/inputs) to convert.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .csv table to write.")
@click.option("--plot", type=click.Path(dir_okay=False), help="Also a Pareto plot (.svg or .png).")
@act_option
@click.option("--finetune", is_flag=True, help="Fine-tune each bit width (see quantize --finetune).")
@click.option("--fanin", type=int, help="With --finetune: at most this many inputs per hidden neuron.")
@proof_effort_option
@workers_option
def sweep(checkpoint, calib, test_data, bits, output, plot, act, finetune, fanin, workers):
    """Convert CHECKPOINT at several bit widths: accuracy, ANDs, levels, time and verdict of each."""
    from .app.sweep import parse_bits
    from .app.sweep import sweep as run_sweep
    from .formats.container import check_output, write_atomic
    from .report import sweep as table

    widths = parse_bits(bits)
    check_output(output, (".csv",), "the sweep table")
    if plot:
        check_output(plot, (".svg", ".png"), "the plot")
    options = finetune_options(finetune, 300, 0, fanin)
    progress = StageProgress()
    try:
        rows = run_sweep(checkpoint, calib, test_data, widths, progress=lambda stage, k, n: progress(
            "convert", stage, n), workers=workers, act=act, finetune=options)
    finally:
        progress.close()
    write_atomic(output, table.to_csv(rows))
    for row in rows:
        click.echo(f"{row['wbits']}/{row['abits']}/{row['ibits']}: circuit {100 * row['circuit_accuracy']:.2f}%, "
                   f"{row['ands']} ANDs, {row['levels']} levels, {row['seconds']} s, {row['verdict']}")
    if plot:
        write_atomic(plot, table.plot(rows, plot.lower().rsplit(".", 1)[-1]))
    click.echo(f"wrote {output}" + (f" and {plot}" if plot else ""))


@main.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .html page to write.")
@click.option("--test", "test_data", type=click.Path(dir_okay=False),
              help="Held-out labelled rows (.npz with X and y): accuracy and confusion matrix.")
def report(bundle_path, output, test_data):
    """One self-contained HTML page about BUNDLE (.qlc): verdict, I/O contract, sizes, plots."""
    from .app.convert import labelled
    from .formats.bundle import load
    from .formats.container import check_output, write_atomic
    from .report.html import to_html

    check_output(output, (".html", ".htm"), "the report")
    bundle = load(bundle_path)
    test = labelled(test_data) if test_data else None
    long_work_starts()
    write_atomic(output, to_html(bundle, test))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("first", type=click.Path(dir_okay=False))
@click.argument("second", type=click.Path(dir_okay=False))
@proof_effort_option
def diff(first, second):
    """Whether the circuits of two bundles (.qlc) compute the same function of their pins.

    Exit status: 0 equivalent (proved), 1 different (with an input where they differ), 3 undecided, 2 bad input."""
    from .app.diff import diff_bundles, same_contract
    from .formats.bundle import load
    from .report.summaries import side_by_side
    from .verdict import EXIT_CODES

    a, b = load(first), load(second)
    long_work_starts()
    verdict = diff_bundles(a, b)
    if verdict.status == "proved":
        click.echo(f"equivalent (proved: {verdict.method}); {a.ands} and {b.ands} ANDs, {a.levels} and "
                   f"{b.levels} levels")
        if not same_contract(a, b):
            click.echo(verdict.details[0])
    elif verdict.status == "disproved":
        click.echo(f"different: {verdict.reason}")
    else:
        click.echo(verdict.text)
    click.echo(side_by_side(a, b))
    sys.exit(EXIT_CODES[verdict.status])


@main.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--format", "fmt", help="aig, aag, blif, v, dot, json, c (a bit-sliced C evaluator), or reference (the IntNetwork as behavioural "
                                     "Verilog); default: from the extension.")
def export(bundle_path, output, fmt):
    """Write the circuit of BUNDLE (.qlc) as AIGER, BLIF, Verilog, DOT or JSON metadata."""
    from .formats.bundle import load
    from .formats.container import write_atomic
    from .formats.exporters import export as export_to
    from .formats.exporters import format_for

    fmt = format_for(output, fmt)
    write_atomic(output, export_to(load(bundle_path), fmt))
    click.echo(f"wrote {output} ({fmt})")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--neuron", help="One hidden neuron, LAYER.INDEX (e.g. 0.3), instead of the whole network.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write .txt (rules), .json, .dot, .py, or a circuit (.qlc, .aig, .aag, .blif, .v).")
@click.option("--max-nodes", type=click.IntRange(1), help="Node budget (default 1,000,000).")
@click.option("--max-input-bits", type=click.IntRange(1, 64), help="Input bits a whole-network diagram may have "
              "(default 28).")
def tree(model, neuron, output, max_nodes, max_input_bits):
    """An exact decision diagram of MODEL (.qnet, .qlc), or of one of its neurons; prints rules without -o."""
    from .app.artifacts import load_network
    from .formats.container import write_atomic
    from .formats.diagram import to_text
    from .report.summaries import describe_diagram
    from .app.trees import build, render, tree_format

    if output:
        tree_format(output)
    net = load_network(model)
    with stages("tree", 2 if neuron is None else 1) as progress:
        diagram, verdict, seconds = build(net, neuron, max_nodes, max_input_bits, progress)
    summary = describe_diagram(diagram, verdict, seconds)
    if output:
        write_atomic(output, render(net, diagram, output))
        click.echo(summary)
        click.echo(f"wrote {output}")
    else:
        click.echo(to_text(diagram), nl=False)
        click.echo(summary, err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
