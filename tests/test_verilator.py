"""Verilator (the fastest open Verilog simulator, strict about its input) builds the exported Verilog of a
bundled model, and the model it builds gives the classes predict gives."""
import shutil
import subprocess

import numpy as np
import pytest

VERILATOR = shutil.which("verilator")


@pytest.mark.skipif(VERILATOR is None, reason="needs verilator (installed by .ci/run)")
def test_verilator_builds_the_exported_verilog_and_it_predicts_like_the_intnet(converted, tmp_path):
    from quantlogic.formats.exporters import export

    bundle = converted["wine_bn", 2][0]
    aig, net = bundle.aig, bundle.net
    (tmp_path / "net.v").write_text(export(bundle, "v"))
    sets = "\n".join(f"        top->{pin} = bits[{k}] - '0';" for k, pin in enumerate(aig.input_names))
    reads = " + ".join(f"(top->y_{j} << {j})" for j in range(len(aig.output_lits)))
    (tmp_path / "main.cpp").write_text(f"""#include "Vquantlogic.h"
#include <cstdio>
int main() {{
    Vquantlogic *top = new Vquantlogic;
    char bits[{aig.n_inputs + 2}];
    while (std::scanf("%{aig.n_inputs}s", bits) == 1) {{
{sets}
        top->eval();
        std::printf("%d\\n", (int)({reads}));
    }}
    delete top;
    return 0;
}}
""")
    build = subprocess.run([VERILATOR, "--cc", "net.v", "--top-module", "quantlogic", "--exe", "main.cpp", "--build",
                            "-O1", "-Mdir", "obj"], cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    codes = np.random.default_rng(2).integers(0, 2 ** net.ibits, size=(400, net.n_features))
    rows = []
    for row in codes:
        rows.append("".join(str((row[int(name[1:].split("_")[0])] >> int(name.split("_")[1])) & 1)
                            for name in aig.input_names))
    run = subprocess.run(["obj/Vquantlogic"], cwd=tmp_path, input="\n".join(rows) + "\n", capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert [int(v) for v in run.stdout.split()] == net.predict_codes(codes).tolist()
