"""The mutation test of tests/test_verdicts.py on more models and seeds: random single-gate mutations (a
fan-in's complement flipped, a fan-in swapped, an output literal changed) of bundled circuits, each verified;
counts the verdicts, checks every disproof's counterexample in simulation and every proof on 4096 random
codes, and gives the median and slowest verification time.
Run: python benchmarks/mutations.py [N=70 per circuit] [SEEDS=1]"""
import collections
import pathlib
import statistics
import sys
import time
from dataclasses import replace

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from common import MODELS  # noqa: E402
from quantlogic.app.convert import convert  # noqa: E402
from quantlogic.formats.bundle import Bundle  # noqa: E402
from quantlogic.quant.codes import circuit_classes  # noqa: E402
from quantlogic.verify.network import sample_codes, verify_bundle  # noqa: E402
from test_verdicts import mutate  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 70
SEEDS = int(sys.argv[2]) if len(sys.argv) > 2 else 1
CIRCUITS = [("wine_bn", 3), ("digits_fanin", 2), ("digits", 2), ("digits", 3), ("adder3", 3)]


def judge(bundle, bad, codes):
    """(verdict status, seconds); raises when a verdict is not backed by simulation."""
    net = bundle.net
    start = time.perf_counter()
    verdict = verify_bundle(Bundle(net, bad, replace(bundle.lowering, aig=bad), {}))
    seconds = time.perf_counter() - start
    if verdict.status == "disproved":
        cex = np.array([verdict.counterexample])
        assert circuit_classes(bad, cex, net.ibits, net.n_classes)[0] != net.predict_codes(cex)[0], verdict.text
    elif verdict.status == "proved":
        assert np.array_equal(circuit_classes(bad, codes, net.ibits, net.n_classes), net.predict_codes(codes))
    return verdict.status, seconds


def main():
    print("| circuit (lowered) | mutations | proved | disproved | undecided | median s | slowest s |")
    print("|---|---|---|---|---|---|---|")
    for name, bits in CIRCUITS:
        model = MODELS / name
        bundle = convert(model / "model.pt", model / "calib.npy", wbits=bits, abits=bits, ibits=bits)[0]
        codes = sample_codes(bundle.net, n_random=4096, seed=5)
        counts, times = collections.Counter(), []
        for seed in range(17, 17 + SEEDS):
            rng = np.random.default_rng(seed)
            for _ in range(N):
                status, seconds = judge(bundle, mutate(bundle.aig, rng), codes)
                counts[status] += 1
                times.append(seconds)
        print(f"| {name} {bits}-bit | {len(times)} | {counts['proved']} | {counts['disproved']} | "
              f"{counts['undecided']} | {statistics.median(times):.2f} | {max(times):.1f} |", flush=True)


if __name__ == "__main__":
    main()
