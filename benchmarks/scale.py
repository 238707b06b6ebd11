"""Scale: random MLPs with 64 inputs (the networks of issue 17) converted by the CLI with its proofs and
default simplification; wall seconds, peak memory (the child's maximum RSS by /usr/bin/time), ANDs and bytes per AND, and
the time by stage the CLI reports. Checkpoints and calibration rows are made here (seeded).
With --workers N each network is converted twice in the same run, by one process and by N local Dask workers
(convert --workers N): the speed-up and whether the two bundles are byte-identical.
Run: python benchmarks/scale.py [--workers N] [64-64-64-10:2 64-256-256-10:2 ...]"""
import filecmp
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

DEFAULT = ["64-64-64-10:2", "64-64-64-10:3", "64-256-256-10:2", "64-256-256-10:3", "64-256-256-256-256-10:2"]


def checkpoint(widths, folder):
    torch.manual_seed(0)
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    path = folder / ("mlp_" + "-".join(map(str, widths)) + ".pt")
    torch.save(model.state_dict(), path)
    calib = folder / "calib.npy"
    np.save(calib, np.random.default_rng(0).normal(size=(512, widths[0])).astype(np.float32))
    return path, calib


def convert(path, calib, bits, out, workers=1):
    """(completed process, wall seconds, peak KB of the child by /usr/bin/time: the largest of the processes
    when there are workers)."""
    start = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", sys.executable, "-m", "quantlogic.cli", "convert",
                          str(path), "--calib", str(calib), "-o", str(out), "--wbits", str(bits), "--abits", str(bits),
                          "--ibits", str(bits), "--workers", str(workers)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = re.findall(r"MAXRSS (\d+)", run.stderr)
    return run, seconds, int(peak[-1]) if peak else None


def main(cases, workers=1):
    print("| network | bits | workers | verdict | ANDs | wall s | peak GB | bytes/AND | time by stage |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        for case in cases:
            shape, bits = case.split(":")
            widths = [int(w) for w in shape.split("-")]
            path, calib = checkpoint(widths, folder)
            times = []
            for n in sorted({1, workers}):
                out = folder / f"out{n}.qlc"
                run, seconds, peak_kb = convert(path, calib, int(bits), out, n)
                times.append(seconds)
                print(f"| {shape} | {bits}/{bits}/{bits} | {n} | {_row(run, seconds, peak_kb)} |", flush=True)
            if workers > 1:
                same = filecmp.cmp(folder / "out1.qlc", folder / f"out{workers}.qlc", shallow=False)
                print(f"{shape} {bits}/{bits}/{bits}: {workers} workers {times[0] / times[1]:.2f}x one process; "
                      f"bundles {'byte-identical' if same else 'DIFFER'}", flush=True)


def _row(run, seconds, peak_kb):
    """verdict | ANDs | wall s | peak GB | bytes/AND | stages of one conversion."""
    text = run.stdout + run.stderr
    ands = re.findall(r"(\d+) ANDs", text)
    n_ands = int(ands[-1]) if ands else None
    verdicts = [line.split(",")[0] for line in run.stdout.splitlines() if line.startswith("verification:")]
    verdict = verdicts[-1] if verdicts else f"exit {run.returncode}"
    stages = "; ".join(re.findall(r"time by stage: (.*?); peak", text))
    peak = f"{peak_kb / 2 ** 20:.2f}" if peak_kb else "-"
    per_and = f"{peak_kb * 1024 / n_ands:.0f}" if peak_kb and n_ands else "-"
    return f"{verdict} | {n_ands} | {seconds:.0f} | {peak} | {per_and} | {stages or '-'}"


if __name__ == "__main__":
    args = sys.argv[1:]
    n_workers = 1
    if args[:1] == ["--workers"]:
        n_workers, args = int(args[1]), args[2:]
    main(args or DEFAULT, n_workers)
