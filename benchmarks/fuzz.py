"""Run every reader fuzzer of tests/test_fuzz.py for longer than CI does, and report how many inputs
each tried. Any exception other than the tool's own error fails the run.

    python benchmarks/fuzz.py [EXAMPLES_PER_FUZZER]     (default 2000; CI runs 120)
"""
import os
import re
import subprocess
import sys
import time

FUZZERS = ["test_fuzz_bytes", "test_fuzz_meta", "test_fuzz_arrays", "test_fuzz_data_files", "test_fuzz_checkpoints"]


def main():
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    env = {**os.environ, "QL_FUZZ_EXAMPLES": str(examples)}
    tests = os.path.join(os.path.dirname(__file__), "..", "tests", "test_fuzz.py")
    failed = 0
    for name in FUZZERS:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-W", "ignore", "-p", "no:cacheprovider",
                               "--hypothesis-show-statistics", f"{tests}::{name}"],
                              capture_output=True, text=True, env=env)
        tried = re.findall(r"(\d+) passing examples?, (\d+) failing", proc.stdout)
        passing = sum(int(p) + int(f) for p, f in tried)
        status = "ok" if proc.returncode == 0 else "FOUND A CRASH"
        failed += proc.returncode != 0
        print(f"{name}: {passing} inputs run, {status} ({time.perf_counter() - start:.0f} s)", flush=True)
        if proc.returncode:
            print(proc.stdout[-3000:])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
