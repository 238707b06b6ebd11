"""The only place matplotlib is imported: plots as SVG text (reproducible: no date, fixed ids) or PNG bytes."""
import io

import numpy as np


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


def _figure(size=(6.4, 3.2)):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "quantlogic"
    return plt, *plt.subplots(figsize=size)


def _svg(plt, figure):
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(figure)
    text = out.getvalue()
    return text[text.index("<svg"):]  # inline: without the XML prolog


def bars(labels, values, xlabel, ylabel, title):
    """An inline SVG bar chart."""
    plt, figure, axes = _figure()
    axes.bar(range(len(values)), values, color="#2e86c1")
    step = max(1, len(labels) // 24)
    axes.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)], rotation=90,
                    fontsize=7)
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return _svg(plt, figure)


def heatmap(matrix, xlabel, ylabel, title):
    """An inline SVG of a count matrix with its numbers."""
    plt, figure, axes = _figure((4.2, 3.6))
    axes.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        axes.text(j, i, str(value), ha="center", va="center", fontsize=8,
                  color="white" if value > matrix.max() / 2 else "black")
    axes.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return _svg(plt, figure)
