"""Explorer 6: what one attention layer costs as the image grows, global MSA against W-MSA (paper Eq. 1 and 2).

Points are measured: FLOPs counted by ``torch.utils.flop_counter`` (halved: the paper counts multiply-adds) and
wall time on this CPU. Lines are the paper's formulas. On log-log axes a slope of 1 is linear in the number of
tokens hw, a slope of 2 quadratic; the legend gives each fitted slope.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from swin_edu.complexity import loglog_slope, measure_attention_layers, msa_cost, wmsa_cost
from swin_edu.viz.style import OKABE_ITO, log_axis, new_figure

DEFAULT_SIDES: tuple[int, ...] = (14, 28, 42, 56)  # stage-1 maps of 56, 112, 168 and 224 pixel images


def plot_complexity(
    sides: tuple[int, ...] = DEFAULT_SIDES, channels: int = 96, window_size: int = 7, num_heads: int = 3
) -> Figure:
    """Measured FLOPs and wall time of one global MSA layer and one W-MSA layer per map side, with formulas (1), (2).

    Measurements are cached: only the first call with a given setting runs the layers.
    """
    if any(side % window_size for side in sides):
        raise ValueError(f"every map side {sides} must be a multiple of the window size {window_size}")
    if channels % num_heads:
        raise ValueError(f"{channels} channels cannot be split into {num_heads} heads")
    measured = measure_attention_layers(tuple(sides), channels, window_size, num_heads)
    tokens = np.asarray(measured["tokens"], dtype=float)
    dense = np.linspace(min(sides), max(sides), 50)
    figure = new_figure(10.5, 4.6)
    flops_ax, time_ax = figure.subplots(1, 2)
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.17, top=0.85, wspace=0.28)

    msa_formula = [msa_cost(s, s, channels) for s in dense]
    wmsa_formula = [wmsa_cost(s, s, channels, window_size) for s in dense]
    series = (
        ("global MSA", "flops_msa", "seconds_msa", OKABE_ITO["blue"], "o", "-", msa_formula),
        ("W-MSA", "flops_wmsa", "seconds_wmsa", OKABE_ITO["vermillion"], "s", "--", wmsa_formula),
    )
    for name, flops_key, seconds_key, color, marker, line, formula in series:
        macs = np.asarray(measured[flops_key], dtype=float) / 2  # FLOPs -> multiply-adds
        equation = "(1)" if name == "global MSA" else "(2)"
        flops_ax.plot(
            dense**2, formula, color=color, linestyle=line, linewidth=1.5, label=f"{name}: formula {equation}"
        )
        flops_ax.plot(
            tokens,
            macs,
            color=color,
            marker=marker,
            linestyle="none",
            markersize=8,
            markerfacecolor="white",
            markeredgewidth=2,
            label=f"{name}: measured, slope {loglog_slope(tokens, macs):.2f}",
        )
        milliseconds = np.asarray(measured[seconds_key]) * 1000
        time_ax.plot(
            tokens,
            milliseconds,
            color=color,
            marker=marker,
            linestyle=line,
            markersize=7,
            label=f"{name}: slope {loglog_slope(tokens, milliseconds):.2f}",
        )
    for ax in (flops_ax, time_ax):
        log_axis(ax, "x")
        log_axis(ax, "y")
        ax.set_xticks(tokens, [f"{int(t)}\n({s * 4}px)" for t, s in zip(tokens, sides)])
        ax.set_xlabel("tokens h*w (image side at patch size 4)")
        ax.legend(fontsize=8, loc="upper left")
        ax.grid(True, which="major", alpha=0.3)
    flops_ax.set_ylabel("multiply-adds of one layer")
    flops_ax.set_title(
        f"FLOPs / 2 counted by torch vs the paper's formulas\nC = {channels}, M = {window_size}", fontsize=10
    )
    time_ax.set_ylabel("wall time of one forward pass (ms)")
    time_ax.set_title("Wall time on this CPU (best of a few runs)\nslope 1: linear in h*w, 2: quadratic", fontsize=10)
    return figure
