"""verify --with-abc on the bundled models: Yosys synthesizes the reference Verilog, ABC compares it with
the lowered circuit (layer by layer, then whole if a layer is not proved) and with the simplified one (through a
fresh lowering proved so). Prints one row per (model, bits, bundle): verdict and seconds.

    python benchmarks/second_opinion.py [TIMEOUT_SECONDS] [MODEL ...]

(default 60 s; iris wine_bn digits adder3 digits_fanin)
"""
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from conftest import model_path  # noqa: E402
from quantlogic.app.convert import convert, simplify_converted  # noqa: E402
from quantlogic.verify.peers import prove_with_abc  # noqa: E402


def main():
    timeout = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    models = sys.argv[2:] or ["iris", "wine_bn", "digits", "adder3", "digits_fanin"]
    print(f"| model | bits | bundle | ANDs | verdict (timeout {timeout} s per tool run) | seconds |")
    print("|---|---|---|---|---|---|")
    for name in models:
        for bits in (2, 3):
            lowered = convert(model_path(name), model_path(name, "calib.npy"), wbits=bits, abits=bits, ibits=bits)[0]
            for kind, bundle in (("lowered", lowered), ("simplified", simplify_converted(lowered)[0])):
                start = time.perf_counter()
                verdict = prove_with_abc(bundle, timeout)
                how = verdict.reason if verdict.status != "proved" else "; ".join(verdict.details)
                print(f"| {name} | {bits} | {kind} | {bundle.aig.n_ands} | {verdict.text}: {how[:240]} | "
                      f"{time.perf_counter() - start:.1f} |", flush=True)


if __name__ == "__main__":
    main()
