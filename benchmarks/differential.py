"""The differential test of tests/test_verdicts.py at scale: random IntNetworks (every bit width, uniform and
quantile levels, degenerate neurons and thresholds, ties), each lowered and verified; counts the verdicts and
checks every circuit against its IntNetwork (exhaustively up to 16 inputs, else on 4096 random codes).
Run: python benchmarks/differential.py [N=10000] [--simplify]"""
import collections
import pathlib
import sys
import time

import numpy as np
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from conftest import int_networks  # noqa: E402
from quantlogic.lower.network import lower_network  # noqa: E402
from quantlogic.formats.qnet import save  # noqa: E402
from quantlogic.verify.network import verify_lowering  # noqa: E402
from test_verdicts import assert_circuit_is_network, prove_and_simplify  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
SIMPLIFY = "--simplify" in sys.argv
counts, failures, start = collections.Counter(), [], time.perf_counter()


@settings(max_examples=N, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(int_networks())
def check(net):
    try:
        if SIMPLIFY:
            prove_and_simplify(net)
            counts["proved"] += 1
            return
        low = lower_network(net)
        verdict = verify_lowering(net, low)
        counts[verdict.status] += 1
        assert_circuit_is_network(net, low.aig)
        if verdict.status != "proved":
            failures.append(verdict.text)
            path = f"/tmp/differential_{len(failures)}.qnet"
            save(net, path)
            print(f"not proved ({path}): {verdict.text}", flush=True)
    except AssertionError as exc:
        counts["failed"] += 1
        failures.append(str(exc)[:200])
    if sum(counts.values()) % 500 == 0:
        print(f"{sum(counts.values())} networks, {dict(counts)}, {time.perf_counter() - start:.0f} s", flush=True)


check()
total = sum(counts.values())
print(f"{total} random networks in {time.perf_counter() - start:.0f} s: {dict(counts)}; "
      f"proved {100 * counts['proved'] / max(1, total):.2f} %")
for text in failures[:10]:
    print("  ", text)
