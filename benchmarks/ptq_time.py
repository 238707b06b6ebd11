"""Post-training quantization time and peak memory on the wide random MLPs of scale.py (784-256-256-10 and
64-256x4-10, 512 calibration rows), at 2 and 3 bits, in one process (peak RSS so far).
Run: python benchmarks/ptq_time.py"""
import pathlib
import resource
import tempfile
import time

import numpy as np

from scale import checkpoint
from quantlogic.app.convert import quantize_rows


def main():
    with tempfile.TemporaryDirectory() as folder:
        for widths in ([784, 256, 256, 10], [64, 256, 256, 256, 256, 10]):
            path, calib = checkpoint(widths, pathlib.Path(folder))
            X = np.load(calib).astype(np.float64)
            for bits in (2, 3):
                start = time.perf_counter()
                quantize_rows(path, X, wbits=bits, abits=bits, ibits=bits)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
                print(f"{'-'.join(map(str, widths))} {bits}/{bits}/{bits}: {time.perf_counter() - start:.2f} s, "
                      f"peak so far {peak} MB", flush=True)


if __name__ == "__main__":
    main()
