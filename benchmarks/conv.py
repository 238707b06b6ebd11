"""The bundled digits CNN (models/digits_cnn) against the dense digits MLP at the same bits: held-out
accuracy (float, PTQ, --finetune without labels), ANDs and levels after default simplification, convert time
(PTQ or fine-tuning + lowering + proofs + simplification, median of 3), and per-position cost of the
convolution's lowering and proof (medians of 3, cold caches). Prints Markdown for docs/benchmarks.md.
Run: python benchmarks/conv.py"""
import statistics
import time

from common import MODELS
from quantlogic.formats.depth import depth_of
from quantlogic.app.convert import quantize_rows, simplify_converted
from quantlogic.formats.bundle import Bundle
from quantlogic.lower import network, truth_table
from quantlogic.lower.network import lower_network
from quantlogic.model.data import load_dataset
from quantlogic.train.finetune import FinetuneOptions
from quantlogic.verify.network import verify_lowering
from quantlogic.verify.parts import prove_by_parts


def convert_once(name, bits, finetune):
    X, _ = load_dataset(MODELS / name / "calib.npy")
    start = time.perf_counter()
    net, s = quantize_rows(MODELS / name / "model.pt", X, wbits=bits, abits=bits, ibits=bits,
                           finetune=FinetuneOptions() if finetune else None, test=MODELS / name / "test.npz")
    low = lower_network(net)
    verdict = verify_lowering(net, low)
    bundle = Bundle(net, low.aig, low, {})
    bundle.record_verdict(verdict)
    small, _ = simplify_converted(bundle)
    seconds = time.perf_counter() - start
    return s, small, small.recorded_verdict()[0], seconds


def per_position(bits):
    X, _ = load_dataset(MODELS / "digits_cnn" / "calib.npy")
    net, _ = quantize_rows(MODELS / "digits_cnn" / "model.pt", X, wbits=bits, abits=bits, ibits=bits)
    runs = []
    for _ in range(3):
        for cache in (truth_table._covers, truth_table._table_size, network._arith_size):
            cache.cache_clear()
        t0 = time.perf_counter()
        low = lower_network(net)
        t1 = time.perf_counter()
        assert prove_by_parts(net, low) is None
        runs.append((t1 - t0, time.perf_counter() - t1))
    positions = net.hidden[0][0].shape[0]
    return positions, statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


print("| model | bits | float | PTQ | fine-tuned | ANDs (fine-tuned) | levels | verdict | convert + fine-tune, median of 3 |")
print("|---|---|---|---|---|---|---|---|---|")
for name in ("digits_cnn", "digits"):
    for bits in (3, 2):
        results = [convert_once(name, bits, True) for _ in range(3)]
        s, small, verdict, _ = results[0]
        seconds = statistics.median(r[3] for r in results)
        print(f"| {name} | {bits}/{bits}/{bits} | {100 * s['test_float_accuracy']:.1f}% | "
              f"{100 * s['test_ptq_accuracy']:.1f}% | {100 * s['test_quantized_accuracy']:.1f}% | {small.aig.n_ands} | "
              f"{depth_of(small.aig)} | {verdict.text.split(',')[0]} | {seconds:.1f} s |")
print()
for bits in (2, 3):
    positions, lower, proof = per_position(bits)
    print(f"digits_cnn {bits}/{bits}/{bits}: {positions} convolution neurons; lowering {lower:.2f} s "
          f"({1e3 * lower / positions:.1f} ms a position, the whole network), proof {proof:.2f} s "
          f"({1e3 * proof / positions:.1f} ms a position)")
