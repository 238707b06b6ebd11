"""Command line: parses arguments and dispatches; the work lives in the stage modules."""
import pathlib
import sys

import click

from . import __version__
from .errors import QuantlogicError

BITS = click.IntRange(1, 8)


class Group(click.Group):
    """Turns a QuantlogicError into one line on stderr and exit status 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QuantlogicError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo("error: out of memory; try a smaller model or fewer bits", err=True)
            sys.exit(2)


@click.group(cls=Group)
@click.version_option(__version__, prog_name="quantlogic")
def main():
    """Quantize a neural network to a few bits and melt it into exact logic."""


@main.command()
@click.argument("checkpoint", type=click.Path(dir_okay=False))
@click.option("--calib", required=True, type=click.Path(dir_okay=False), help="Calibration rows (.npy, .npz, .csv).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The .qnet file to write.")
@click.option("--wbits", default=3, show_default=True, type=BITS)
@click.option("--abits", default=3, show_default=True, type=BITS)
@click.option("--ibits", default=3, show_default=True, type=BITS)
@click.option("--act", default="relu", show_default=True,
              type=click.Choice(["relu", "relu6", "hardtanh", "identity"]),
              help="Activation between layers of a state_dict (other formats carry their own).")
@click.option("--labels", type=click.Path(dir_okay=False), help="Labels of the calibration rows.")
@click.option("--test", "test_data", type=click.Path(dir_okay=False), help="Held-out .npz (X, y) to report accuracy.")
@click.option("--method", default="mse", show_default=True, type=click.Choice(["mse", "naive"]),
              help="mse: searched scales and bias correction; naive: max-abs/max-range.")
@click.option("--feature-names", type=click.Path(dir_okay=False), help="One name per line.")
@click.option("--trust-pickle", is_flag=True, help="Allow a pickled nn.Module (runs code from the file).")
def quantize(checkpoint, calib, output, wbits, abits, ibits, act, labels, test_data, method, feature_names, trust_pickle):
    """Quantize CHECKPOINT into an integer network (.qnet)."""
    from .pipeline import accuracy_on, load_float_network, quantize_checkpoint
    from .report import quantize_summary

    intnet, summary = quantize_checkpoint(checkpoint, calib, wbits=wbits, abits=abits, ibits=ibits, act=act,
                                          trust_pickle=trust_pickle, labels=labels, method=method,
                                          names_file=feature_names)
    if test_data:
        net = load_float_network(checkpoint, act, trust_pickle)
        summary["test_float_accuracy"], summary["test_quantized_accuracy"] = accuracy_on(intnet, net, test_data)
        intnet.meta.update(summary)
    intnet.save(output)
    click.echo(quantize_summary(summary))
    click.echo(f"wrote {output}")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write predictions to a .npy file.")
def predict(model, data, output):
    """Predict classes of the rows in DATA with MODEL (.qnet, .qlc)."""
    import numpy as np

    from .artifacts import open_artifact
    from .container import write_atomic
    from .data import load_dataset

    X, _ = load_dataset(data)
    predictions = open_artifact(model).predict(X)
    if output:
        import io

        buffer = io.BytesIO()
        np.save(buffer, predictions.astype(np.int64))
        write_atomic(output, buffer.getvalue())
    else:
        click.echo("\n".join(str(int(p)) for p in predictions))


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
def inspect(model):
    """Describe MODEL: layers, shapes, bits, thresholds (and gates for a circuit)."""
    from .artifacts import open_artifact

    click.echo(open_artifact(model).describe())


if __name__ == "__main__":  # pragma: no cover
    main()
