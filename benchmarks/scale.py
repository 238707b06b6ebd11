"""Scale: random MLPs with 64 inputs (the networks of issue 17) converted by the CLI with its proofs and
default simplification; wall seconds, peak memory (the child's maximum RSS by /usr/bin/time), ANDs and bytes per AND, and
the time by stage the CLI reports. Checkpoints and calibration rows are made here (seeded).
Run: python benchmarks/scale.py [64-64-64-10:2 64-256-256-10:2 ...]"""
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


def convert(path, calib, bits, out):
    """(completed process, wall seconds, peak KB of the child by /usr/bin/time)."""
    start = time.perf_counter()
    run = subprocess.run(["/usr/bin/time", "-f", "MAXRSS %M", sys.executable, "-m", "quantlogic.cli", "convert",
                          str(path), "--calib", str(calib), "-o", str(out), "--wbits", str(bits), "--abits", str(bits),
                          "--ibits", str(bits)], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = re.findall(r"MAXRSS (\d+)", run.stderr)
    return run, seconds, int(peak[-1]) if peak else None


def main(cases):
    print("| network | bits | verdict | ANDs | wall s | peak GB | bytes/AND | time by stage |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        for case in cases:
            shape, bits = case.split(":")
            widths = [int(w) for w in shape.split("-")]
            path, calib = checkpoint(widths, folder)
            run, seconds, peak_kb = convert(path, calib, int(bits), folder / "out.qlc")
            text = run.stdout + run.stderr
            ands = re.findall(r"(\d+) ANDs", text)
            n_ands = int(ands[-1]) if ands else None
            verdicts = [line.split(",")[0] for line in run.stdout.splitlines() if line.startswith("verification:")]
            verdict = verdicts[-1] if verdicts else f"exit {run.returncode}"
            stages = "; ".join(re.findall(r"time by stage: (.*?); peak", text))
            peak = f"{peak_kb / 2 ** 20:.2f}" if peak_kb else "-"
            per_and = f"{peak_kb * 1024 / n_ands:.0f}" if peak_kb and n_ands else "-"
            print(f"| {shape} | {bits}/{bits}/{bits} | {verdict} | {n_ands} | {seconds:.0f} | {peak} | {per_and} | "
                  f"{stages or '-'} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
