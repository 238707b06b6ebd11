"""The only place matplotlib is imported: plots as SVG text (reproducible: no date, fixed ids) or PNG bytes."""
import io


def scatter_with_front(xs, ys, labels, front, xlabel, ylabel, title, fmt="svg"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "quantlogic"
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    axes.scatter(xs, ys, color="#888888", zorder=2)
    axes.plot([xs[i] for i in front], [ys[i] for i in front], color="#c0392b", marker="o", zorder=3,
              label="Pareto front")
    for x, y, label in zip(xs, ys, labels):
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    axes.set_xscale("log")
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower right")
    out = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(out, format=fmt, metadata=metadata, bbox_inches="tight")
    plt.close(figure)
    return out.getvalue().decode() if fmt == "svg" else out.getvalue()
