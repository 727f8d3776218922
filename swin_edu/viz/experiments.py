"""The results of :mod:`swin_edu.experiments`: accuracy of every variant, each seed a dot, chance a dashed line.

Draws only: it takes a results dict (as written to ``results.json``) and returns a matplotlib figure.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from swin_edu.viz.style import OKABE_ITO, SEQUENTIAL_CMAP, new_figure

BAR_COLOURS = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["grey"],
    OKABE_ITO["yellow"],
)


def plot_accuracies(ax: Axes, variants: dict[str, dict], chance: float | None = None, title: str = "") -> None:
    """Horizontal bars: mean accuracy per variant, its per-seed values as black dots, the value written beside."""
    names = list(variants)
    for row, name in enumerate(names):
        summary = variants[name]
        ax.barh(row, summary["accuracy"], color=BAR_COLOURS[row % len(BAR_COLOURS)], height=0.6)
        ax.plot(summary["per_seed"], [row] * len(summary["per_seed"]), "o", color="black", markersize=4)
        ax.text(
            max([summary["accuracy"], *summary["per_seed"]]) + 0.015,
            row,
            f"{summary['accuracy']:.1%}",
            va="center",
            fontsize=9,
        )
    if chance is not None:
        ax.axvline(chance, color="black", linestyle="--", linewidth=1)
        ax.text(chance, len(names) - 0.4, " chance", fontsize=8, va="bottom")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("held-out accuracy (bars: mean over seeds; dots: seeds)")
    ax.set_title(title, fontsize=10)


def plot_joined(ax: Axes, variants: dict[str, dict]) -> None:
    """``shift``: accuracy on the mark pairs that some token's receptive field joins, and on the others."""
    rows = []
    for name, summary in variants.items():
        for label, key in (("joined", "accuracy_joined"), ("not joined", "accuracy_not_joined")):
            values = [details[key] for details in summary["details"] if details.get(key) is not None]
            if values:
                rows.append((f"{name}: {label}", sum(values) / len(values), values))
    plot_accuracies(
        ax,
        {name: {"accuracy": mean, "per_seed": values} for name, mean, values in rows},
        0.5,
        "accuracy by whether a receptive field holds both marks",
    )


def plot_results(results: dict) -> Figure:
    """The figure of one experiment's results."""
    variants = results["variants"]
    extra = results["experiment"] == "shift"
    figure = new_figure(7.5, 0.45 * len(variants) + 1.6 + (0.45 * 2 * len(variants) + 1.2 if extra else 0))
    axes = figure.subplots(
        2 if extra else 1, 1, squeeze=False, height_ratios=[len(variants), 2 * len(variants)] if extra else None
    )[:, 0]
    setting = "quick" if results.get("quick") else "full"
    plot_accuracies(axes[0], variants, results.get("chance"), f"experiment {results['experiment']} ({setting} setting)")
    if extra:
        plot_joined(axes[1], variants)
    figure.subplots_adjust(left=0.36, right=0.97, hspace=0.6)
    return figure


def plot_leak(leak: dict) -> Figure:
    """``mask``: the gradient of token (0, 0) on every input patch, with the mask and without, log colour scale.

    The white outline marks the token's exact receptive field with the mask; the star is the token.
    """
    figure = new_figure(8.5, 3.6)
    axes = figure.subplots(1, 2)
    field = np.array(leak["field"], dtype=bool)
    maps = {
        "with the mask": np.array(leak["gradient_with_mask"]),
        "without the mask": np.array(leak["gradient_without_mask"]),
    }
    largest = max(values.max() for values in maps.values())
    for ax, (title, values) in zip(axes, maps.items()):
        shown = np.log10(np.maximum(values / largest, 1e-12))  # below 1e-12 of the largest: the floor of the scale
        image = ax.imshow(shown, cmap=SEQUENTIAL_CMAP, vmin=-12, vmax=0)
        ax.contour(field, levels=[0.5], colors="white", linewidths=2)
        ax.plot(0, 0, marker="*", color=OKABE_ITO["vermillion"], markersize=12)
        ax.set_title(f"{title}\nlargest outside the field: {values[~field].max() / largest:.0e}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    colorbar = figure.colorbar(image, ax=axes, shrink=0.8)
    colorbar.set_label("log10 |gradient| / largest")
    return figure
