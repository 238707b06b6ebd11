"""Samples per second of the exported bit-sliced C evaluator (export -o net.c, cc -O2), one core, on the
bundled models at 2/2/2 and 3/3/3 (default simplification): 2^20 random samples per run, median of 5 runs
inside one C program; against the numba simulator on the same circuit (Simulator.words, one run).
Run: python benchmarks/c_eval.py"""
import pathlib
import subprocess
import tempfile
import time

import numpy as np

from common import MODELS
from quantlogic.app.convert import convert, simplify_converted
from quantlogic.formats.c_eval import to_c
from quantlogic.kernels.simulate import Simulator

MAIN = r"""
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "net.c"
#define WORDS 16384
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return (x > y) - (x < y); }
int main(void) {
    static uint64_t in[WORDS][QUANTLOGIC_INPUTS], out[QUANTLOGIC_OUTPUTS];
    uint64_t s = 88172645463325252ULL, sink = 0;
    for (int w = 0; w < WORDS; w++) for (int k = 0; k < QUANTLOGIC_INPUTS; k++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17; in[w][k] = s; }
    double runs[5];
    for (int r = 0; r < 5; r++) {
        struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int w = 0; w < WORDS; w++) { quantlogic_eval(in[w], out); sink ^= out[0]; }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        runs[r] = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
    }
    qsort(runs, 5, sizeof(double), cmp);
    printf("%.0f %llu\n", WORDS * 64.0 / runs[2], (unsigned long long)(sink & 1));
    return 0;
}
"""

print("| model | bits | ANDs | C evaluator, samples/s (one core) | numba simulator, samples/s |")
print("|---|---|---|---|---|")
for name in ("digits_fanin", "digits", "wine_bn"):
    for bits in (2, 3):
        bundle, _, _ = convert(MODELS / name / "model.pt", MODELS / name / "calib.npy", wbits=bits, abits=bits, ibits=bits)
        small, _ = simplify_converted(bundle)
        with tempfile.TemporaryDirectory() as folder:
            folder = pathlib.Path(folder)
            (folder / "net.c").write_text(to_c(small.aig))
            (folder / "main.c").write_text(MAIN)
            subprocess.run(["cc", "-O2", "-std=c99", "main.c", "-o", "bench"], cwd=folder, check=True)
            rate = float(subprocess.run(["./bench"], cwd=folder, capture_output=True, text=True,
                                        check=True).stdout.split()[0])
        words = np.random.default_rng(0).integers(0, 2 ** 63, size=(small.aig.n_inputs, 16384), dtype=np.uint64)
        simulator = Simulator(small.aig)
        simulator.words(words[:, :64])
        start = time.perf_counter()
        simulator.words(words)
        numba_rate = 16384 * 64 / (time.perf_counter() - start)
        print(f"| {name} | {bits}/{bits}/{bits} | {small.aig.n_ands} | {rate:,.0f} | {numba_rate:,.0f} |")
