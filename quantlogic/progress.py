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


_ON_LONG_WORK = None  # what to say once, as the first long work starts


def on_long_work(callback):
    """Register what to say once, as the first long work starts (after a command's input checks): the CLI
    says here that a cold numba cache is being compiled."""
    global _ON_LONG_WORK
    _ON_LONG_WORK = callback


def long_work_starts():
    """Say what on_long_work registered, once per process (nothing with --quiet)."""
    global _ON_LONG_WORK
    if _ON_LONG_WORK is not None and not _quiet():
        callback, _ON_LONG_WORK = _ON_LONG_WORK, None
        callback()


class EpochProgress:
    """A bar on stderr over fine-tuning epochs with the loss and the held-out score."""

    def __init__(self):
        self.bar = None

    def stage(self, name, epochs):
        """Name the step the fine-tuner is in (the searches before and after the epochs)."""
        self._bar(epochs).set_description(f"fine-tune: {name}")

    def _bar(self, epochs):
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=epochs, file=sys.stderr, leave=False, disable=True if _quiet() else None,
                            desc="fine-tune", unit="epoch")
        return self.bar

    def __call__(self, epoch, epochs, loss, score):
        bar = self._bar(epochs)
        bar.set_postfix(loss=f"{loss:.4f}", held_out=f"{100 * score:.1f}%")
        bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()


class StageProgress:
    """Progress on stderr, one step per layer and stage: a bar with the total and an ETA on a terminal, else
    one line per step with the elapsed time (for logs); nothing with --quiet. It keeps the time of each stage
    and the process's peak memory as each stage ends (summary())."""

    def __init__(self, first_stage=None):
        """first_stage: the name of the work before the first step (its time is counted under that name)."""
        from tqdm import tqdm

        self.quiet = _quiet()
        self.lines = not self.quiet and not sys.stderr.isatty()
        self.bar = tqdm(file=sys.stderr, leave=False, disable=None if not self.quiet else True, unit="step")
        self.start, self.done, self.units, self._shown = time.perf_counter(), 0, None, 0.0
        self.current, self.seconds, self.peak = None, {}, (0, None)
        if first_stage:
            self.current = (first_stage, self.start)

    def __call__(self, stage, layer, steps=None):
        if self.done == 0:
            long_work_starts()  # after the command's input checks
        self._end_step()
        self.current = (stage, time.perf_counter())
        if steps is not None and self.bar.total != steps and self.units is None:
            self.bar.total = steps
        self.done += 1
        if self.lines:
            total = f"/{steps}" if steps else ""
            click.echo(f"{stage} {layer} (step {self.done}{total}, {time.perf_counter() - self.start:.1f} s)",
                       err=True)
        self.bar.set_description(f"{stage} {layer}")
        self.bar.set_postfix_str("", refresh=False)
        if self.units is None:
            self.bar.update(1)

    def expect(self, units):
        """Count the bar in units of work (neurons) told by advance() rather than in steps, so that its ETA
        moves within a step; the log lines still come one per step."""
        self.units = units
        self.bar.reset(total=units)

    def advance(self, units=1):
        if self.units is not None:
            self.bar.update(units)

    def within(self, done, total):
        """How far the current step has got (a pass: done of total): the share and the time it still needs,
        at most every 0.2 s on the bar (nothing in log lines)."""
        now = time.perf_counter()
        if self.current is None or not 0 < done <= total or now - self._shown < 0.2:
            return
        self._shown = now
        elapsed = now - self.current[1]
        left = elapsed * (total - done) / done
        self.bar.set_postfix_str(f"{100 * done / total:.0f}% of this step, ~{left:.0f} s left")

    def _end_step(self):
        if self.current is None:
            return
        import resource

        stage, began = self.current
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        if peak > self.peak[0]:
            self.peak = (peak, stage)
        self.current = None

    def close(self):
        self._end_step()
        self.bar.close()

    def summary(self):
        """One line: seconds per stage and the process's peak memory, with the stage it was reached in."""
        if not self.seconds:
            return None
        stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.seconds.items())
        return f"time by stage: {stages}; peak memory {self.peak[0] / 1024:.0f} MB (reached by the end of " \
               f"{self.peak[1]})"

    def echo_summary(self):
        line = self.summary()
        if line and not self.quiet:
            click.echo(line, err=True)


@contextlib.contextmanager
def stages(command, steps):
    """A StageProgress for one command of `steps` steps, as a function progress(label); closed at the end,
    and its time and memory summary said when the work finished."""
    bar = StageProgress()

    def step(label):
        bar(command, label, steps)

    step.within = bar.within
    try:
        yield step
    finally:
        bar.close()
    bar.echo_summary()
