"""A sweep's rows as CSV, and its Pareto plot of accuracy against ANDs."""
import csv
import io

COLUMNS = ["wbits", "abits", "ibits", "float_accuracy", "intnet_accuracy", "circuit_accuracy", "ands", "levels",
           "seconds", "verdict"]


def to_csv(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def pareto(rows):
    """Indices of the rows no other row beats on both fewer ANDs and higher circuit accuracy."""
    return [i for i, r in enumerate(rows)
            if not any(o["ands"] <= r["ands"] and o["circuit_accuracy"] >= r["circuit_accuracy"] and
                       (o["ands"], o["circuit_accuracy"]) != (r["ands"], r["circuit_accuracy"]) for o in rows)]


def plot(rows, fmt="svg"):
    """The plot as SVG text or PNG bytes: circuit accuracy against AND gates, the Pareto front joined."""
    from .plots import scatter_with_front

    front = sorted(pareto(rows), key=lambda i: rows[i]["ands"])
    labels = [f"{r['wbits']}/{r['abits']}/{r['ibits']}" for r in rows]
    return scatter_with_front([max(r["ands"], 1) for r in rows], [100 * r["circuit_accuracy"] for r in rows],
                              labels, front, "AND gates (log)", "circuit accuracy on the test rows (%)",
                              "bit widths W/A/I: accuracy against circuit size", fmt)
