"""The book's figure style, as plain data: no plotly import, so it works wherever lambdalab does.

- ``PALETTE``: six Okabe-Ito-based colours that colour-blind readers can tell apart, each with
  at least 3:1 contrast (WCAG 2.1, non-text contrast) on a white page and on the book's dark
  page (#14181e), and each paired with its own dash pattern, so that no series is told apart by
  colour alone.
- ``line(i)``: the colour and dash of series ``i``, for ``go.Scatter(line=...)``.
- ``layout(...)``: the house layout: transparent backgrounds (the site recolours text and grid
  for light and dark mode), the legend above the plot, no title (the caption under the figure
  states the takeaway), margins that fit a 390 px phone.
- ``rounded(values)``: numbers rounded to what a reader can see, as a plain list. Figures hold
  these instead of numpy arrays, so the stored JSON is small and reviewable.

Colours: Okabe and Ito, "Color Universal Design" (2008), darkened where needed for contrast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["DASHES", "PALETTE", "contrast_ratio", "layout", "line", "rounded"]

PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#7A7A7A", "#A67C00")
DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def line(i: int, **extra: Any) -> dict[str, Any]:
    """Line style of series ``i`` (0-based): the i-th colour with the i-th dash pattern."""
    if isinstance(i, bool) or not isinstance(i, int):
        raise TypeError(f"series {i!r}: give the series' index, a whole number from 0")
    if not 0 <= i < len(PALETTE):
        raise ValueError(f"series {i}: the palette has {len(PALETTE)} styles; split the figure or group series")
    return {"color": PALETTE[i], "dash": DASHES[i], "width": 2.5, **extra}


def layout(height: int = 480, **overrides: Any) -> dict[str, Any]:
    """The house layout for ``fig.update_layout(**layout(...))``; keyword arguments override it."""
    if isinstance(height, bool) or not isinstance(height, int) or not 10 <= height <= 10_000:
        raise ValueError(f"height is a whole number of pixels (plotly's minimum is 10), not {height!r}")
    base: dict[str, Any] = {
        "height": height,
        "template": "plotly_white",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"size": 13},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        "margin": {"l": 56, "r": 12, "t": 24, "b": 48},
        "hovermode": "closest",
    }
    base.update(overrides)
    return base


def rounded(values: Iterable[float], digits: int = 6) -> list[float]:
    """``values`` rounded to ``digits`` significant digits, as a list of plain floats (NaN and inf kept)."""
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits is a whole number of significant digits, 1-17, not {digits!r}")
    out = []
    for value in values:
        if isinstance(value, (str, bytes)):
            raise TypeError(f"rounded() takes numbers, not {value!r}")
        try:
            x = float(value)
        except OverflowError:
            raise ValueError(f"{value} is too large for a float") from None
        if x == 0 or not math.isfinite(x):
            out.append(x)
        else:
            out.append(round(x, digits - 1 - math.floor(math.log10(abs(x)))))
    return out


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
