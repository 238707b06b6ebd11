"""The options several commands share, as decorators, and the parameter objects made from them."""
import functools

import click

from .errors import QuantlogicError

BITS = click.IntRange(1, 8)
ACTIVATION_NAMES = ("relu", "relu6", "hardtanh", "identity", "hardsigmoid", "sigmoid", "tanh", "softsign",
                    "leaky_relu", "elu", "selu", "softplus")  # model/floatnet.ACTIVATIONS (a test keeps them equal)
act_option = click.option("--act", default="relu", show_default=True, type=click.Choice(ACTIVATION_NAMES),
                          help="Activation between the layers of a state_dict, which does not name it (other "
                               "formats carry their own); torch's default settings (leaky_relu: slope 0.01).")


def proof_effort_option(command):
    """--proof-effort K: every budget of the proofs this command runs is multiplied by K."""
    @click.option("--proof-effort", default=1, show_default=True, type=click.IntRange(1, 1024),
                  help="Multiply every proof budget (algebra terms, SAT decisions, the search for a difference) "
                       "by this; an undecided verdict says when to raise it.")
    @functools.wraps(command)
    def with_effort(*args, proof_effort, **kwargs):
        from .verify.limits import proof_effort as scaled

        with scaled(proof_effort):
            return command(*args, **kwargs)
    return with_effort


def workers_option(command):
    """--workers N and --scheduler ADDR: where the per-neuron proofs and the layers of a large circuit's
    simplification run; the command gets workers= (see quantlogic.workers), opened before any work."""
    @click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 256),
                  help="Worker processes of a local Dask cluster started for this command (1: work in this "
                       "process; at most the machine's cores). The result is the same for any number.")
    @click.option("--scheduler", metavar="tcp://HOST:PORT",
                  help="A running Dask scheduler whose workers do the work (see docs/cluster.md).")
    @functools.wraps(command)
    def with_workers(*args, workers, scheduler, **kwargs):
        from click.core import ParameterSource

        from .workers import WorkerOptions, open_workers

        if scheduler is not None and click.get_current_context().get_parameter_source("workers") == \
                ParameterSource.COMMANDLINE:
            raise QuantlogicError("give --workers or --scheduler, not both")
        with open_workers(WorkerOptions(workers, scheduler)) as place:
            return command(*args, workers=place, **kwargs)
    return with_workers


def quant_options(command):
    """The options shared by quantize and convert."""
    options = [
        click.option("--calib", type=click.Path(dir_okay=False), help="Calibration rows (.npy, .npz, .csv)."),
        click.option("--wbits", default=3, show_default=True, type=BITS),
        click.option("--abits", default=3, show_default=True, type=BITS),
        click.option("--ibits", default=3, show_default=True, type=BITS),
        act_option,
        click.option("--labels", type=click.Path(dir_okay=False), help="Labels of the calibration rows."),
        click.option("--method", default="mse", show_default=True, type=click.Choice(["mse", "naive"]),
                     help="mse: searched scales and bias correction; naive: max-abs/max-range."),
        click.option("--feature-names", type=click.Path(dir_okay=False), help="One name per line."),
        click.option("--trust-pickle", is_flag=True, help="Allow a pickled nn.Module (runs code from the file)."),
        click.option("--finetune", is_flag=True, help="Train the PTQ result into the integer semantics "
                     "(distillation from the float model on the calibration rows; labels optional)."),
        click.option("--epochs", type=int, default=300, show_default=True, help="Fine-tuning epochs at most."),
        click.option("--seed", type=int, default=0, show_default=True, help="Fine-tuning seed."),
        click.option("--holdout", type=float, help="Share of the calibration rows held out to pick the fine-tuned "
                     "epoch (default: 0.2 with --labels, else none: every row scores the agreement with the float "
                     "model)."),
        click.option("--fanin", type=int, help="With --finetune: at most this many inputs per hidden neuron."),
        click.option("--augment", type=int, help="With --finetune and no labels: noisy copies of each calibration "
                     "row (labelled by the float model) to train and score on [default: 2]."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def finetune_options(finetune, epochs, seed, fanin, holdout=None, augment=None):
    """FinetuneOptions when --finetune is given; --fanin, --holdout and --augment need it."""
    if not finetune:
        if fanin is not None:
            raise QuantlogicError("--fanin needs --finetune (pruned neurons are trained with their mask)")
        if holdout is not None:
            raise QuantlogicError("--holdout needs --finetune (it picks the fine-tuned epoch)")
        if augment is not None:
            raise QuantlogicError("--augment needs --finetune (the noisy copies are rows to train on)")
        return None
    from .train.finetune import FinetuneOptions

    return FinetuneOptions(epochs=epochs, seed=seed, fanin=fanin, holdout=holdout,
                           augment=FinetuneOptions.augment if augment is None else augment)
