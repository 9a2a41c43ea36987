"""Charts drawn with matplotlib: the frontier of a sweep (PNG, SVG or PDF)."""

from __future__ import annotations

import io

from optimizer.sweep import Frontier

PLOT_FORMATS = ("png", "svg", "pdf")


def plain(text: str) -> str:
    """User text for a matplotlib label: a pair of `$` would turn what is between into mathtext."""
    return text.replace("$", r"\$")


def frontier_plot(frontier: Frontier, kind: str) -> bytes:
    """Objective vs budget above, the tier mix of each plan as stacked bars below."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    axis = "budget" if frontier.key == "budget.max" else frontier.key
    budgets = [point.value for point in frontier.points]
    planned = [point for point in frontier.points if point.has_plan]
    tiers = [tier for tier in frontier.tiers if any(p.tier_shares.get(tier, 0.0) > 0 for p in planned)]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, height_ratios=(3, 2))
    top.plot([p.value for p in planned], [p.objective for p in planned], marker="o", color="#1f5fa8")
    for point in frontier.points:
        if not point.has_plan:
            top.axvline(point.value, color="#c0392b", linestyle=":", linewidth=1)
    top.set_ylabel(frontier.metric.replace("_", " "))
    top.set_title(plain(f"{frontier.scenario}: {frontier.sense} {frontier.metric.replace('_', ' ')} by {axis}"))
    top.grid(alpha=0.3)
    if all(point.objective >= 0 for point in planned):
        top.set_ylim(bottom=0)
    top.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    spacing = min((b - a for a, b in zip(budgets, budgets[1:])), default=max(budgets[0], 1.0))
    base = [0.0] * len(planned)
    colours = plt.get_cmap("viridis")
    for k, tier in enumerate(tiers):
        heights = [p.tier_shares.get(tier, 0.0) for p in planned]
        bottom.bar([p.value for p in planned], heights, width=0.6 * spacing, bottom=base, label=plain(tier),
                   color=colours(k / max(len(tiers) - 1, 1)))
        base = [b + h for b, h in zip(base, heights)]
    bottom.set_ylabel("share of spend")
    bottom.set_ylim(0, 1)
    bottom.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    bottom.set_xlabel(plain(f"{axis} ({frontier.currency})" if frontier.in_money else axis))
    bottom.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}" if axis == "budget" else "{x:,.4g}"))
    if tiers:
        bottom.legend(title="tier", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, dpi=120, metadata={"Software": None} if kind == "png" else None)
    plt.close(figure)
    return buffer.getvalue()
