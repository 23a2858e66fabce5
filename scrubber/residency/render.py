"""Draws the data-flow map (`scrubber flows`) with matplotlib, to PNG or SVG.

Two columns: the data's jurisdictions on the left, the exporters on the right
(grouped by where they are: regional, local, global), one arrow per
(jurisdiction, exporter, form), styled by form so a reader sees at a glance
what crosses a border: raw solid, pseudonymized dashed, aggregates dotted.
matplotlib is a pip dependency with no system binary, unlike graphviz's `dot`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

_STYLE = {  # form -> (colour, line style)
    "raw": ("#1f4e99", "-"),
    "pseudonymized": ("#d9822b", "--"),
    "aggregates": ("#2e8b57", ":"),
}
_PLACE_ORDER = {"global": 2, "local": 1}


def _layout(names: Sequence[str], top: float = 0.9, bottom: float = 0.1) -> dict[str, float]:
    if len(names) == 1:
        return {names[0]: (top + bottom) / 2}
    step = (top - bottom) / (len(names) - 1)
    return {name: top - i * step for i, name in enumerate(names)}


def render(rows, target: Path, fmt: str, title: str = "") -> Path:
    """Write the picture of `rows` (scrubber.flows.Row) to `target` as `fmt` (png or svg)."""
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, copyable
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch

    sources = list(dict.fromkeys(r.jurisdiction for r in rows))
    exporters = {r.exporter: r.exporter_jurisdiction for r in rows}
    ordered = sorted(exporters, key=lambda e: (_PLACE_ORDER.get(exporters[e], 0), exporters[e], e))
    height = max(4.0, 0.7 * max(len(sources), len(ordered)) + 1.5)
    fig, ax = plt.subplots(figsize=(11, height))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    left, right = _layout(sources), _layout(ordered)
    box = dict(boxstyle="round,pad=0.4", linewidth=1)
    for name, y in left.items():
        ax.text(0.12, y, name, ha="center", va="center", fontsize=10, bbox={**box, "facecolor": "#eef2fa"})
    for name, y in right.items():
        place = exporters[name]
        colour = "#fde8e8" if place == "global" else "#eef7ee" if place == "local" else "#eef2fa"
        ax.text(0.86, y, f"{name}\nin: {place}", ha="center", va="center", fontsize=9, bbox={**box, "facecolor": colour})
    seen: dict[tuple[str, str], int] = {}
    fanned: dict[str, int] = {}  # edges drawn so far from each source
    for row in rows:
        colour, style = _STYLE[row.form]
        colour = "#cc0000" if row.violation else colour
        pair = (row.jurisdiction, row.exporter)
        bend = 0.08 * seen.get(pair, 0)
        seen[pair] = seen.get(pair, 0) + 1
        start, end = (0.2, left[row.jurisdiction]), (0.76, right[row.exporter])
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=colour,
                                     linestyle=style, linewidth=1.4, connectionstyle=f"arc3,rad={bend}"))
        # labels near their source, where the arrows are still apart, staggered along the
        # edge so that the labels of one source's neighbouring edges do not overlap
        along = 0.22 + 0.13 * (fanned.get(row.jurisdiction, 0) % 5)
        fanned[row.jurisdiction] = fanned.get(row.jurisdiction, 0) + 1
        mid = (start[0] + along * (end[0] - start[0]), start[1] + along * (end[1] - start[1]) + bend / 3)
        text = ("VIOLATION: " if row.violation else "") + ", ".join(sorted(row.signals))
        ax.text(*mid, text, fontsize=7, color=colour, ha="center", va="center",
                bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8))
    handles = [Line2D([0], [0], color=c, linestyle=s, label=form) for form, (c, s) in _STYLE.items()]
    ax.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, -0.02))
    if title:
        ax.set_title(title, fontsize=11)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, format=fmt, bbox_inches="tight", dpi=120)
    plt.close(fig)
    return target
