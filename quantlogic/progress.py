"""Progress of long commands on stderr: a bar with an ETA on a terminal, one line per stage in logs, nothing
with the CLI's --quiet."""
import contextlib
import sys
import time

import click


def _quiet():
    """Whether the command line asked for --quiet."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root() if ctx else None
    return bool(root and root.obj and root.obj.get("quiet"))


_ANNOUNCED = []  # whether this process said it is compiling the kernels


def on_long_work(callback):
    """Register what to say once, as the first long work starts (after a command's input checks): the CLI
    says here that a cold numba cache is being compiled."""
    _ANNOUNCED[:] = [callback]


def long_work_starts():
    """Say what on_long_work registered, once per process (nothing with --quiet)."""
    if _ANNOUNCED and _ANNOUNCED[0] is not None and not _quiet():
        callback, _ANNOUNCED[0] = _ANNOUNCED[0], None
        callback()


class EpochProgress:
    """A bar on stderr over fine-tuning epochs with the loss and the held-out score."""

    def __init__(self):
        self.bar = None

    def __call__(self, epoch, epochs, loss, score):
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=epochs, file=sys.stderr, leave=False, disable=True if _quiet() else None,
                            desc="fine-tune", unit="epoch")
        self.bar.set_postfix(loss=f"{loss:.4f}", held_out=f"{100 * score:.1f}%")
        self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class StageProgress:
    """Progress on stderr, one step per layer and stage: a bar with the total and an ETA on a terminal, else
    one line per step with the elapsed time (for logs); nothing with --quiet."""

    def __init__(self):
        from tqdm import tqdm

        long_work_starts()
        self.quiet = _quiet()
        self.lines = not self.quiet and not sys.stderr.isatty()
        self.bar = tqdm(file=sys.stderr, leave=False, disable=None if not self.quiet else True, unit="step")
        self.start, self.done = time.perf_counter(), 0

    def __call__(self, stage, layer, steps=None):
        if steps is not None and self.bar.total != steps:
            self.bar.total = steps
        self.done += 1
        if self.lines:
            total = f"/{steps}" if steps else ""
            click.echo(f"{stage} {layer} (step {self.done}{total}, {time.perf_counter() - self.start:.1f} s)",
                       err=True)
        self.bar.set_description(f"{stage} {layer}")
        self.bar.update(1)

    def close(self):
        self.bar.close()


@contextlib.contextmanager
def stages(command, steps):
    """A StageProgress for one command of `steps` steps, as a function progress(label); closed at the end."""
    bar = StageProgress()
    try:
        yield lambda label: bar(command, label, steps)
    finally:
        bar.close()
