"""Consumption history as a bar chart (PNG), for channels that show images."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Sequence, Tuple

import matplotlib

matplotlib.use("Agg")  # no display: render to memory
import matplotlib.pyplot as plt  # noqa: E402

from bot.formatting import short_month  # noqa: E402


def consumption_chart(months: Sequence[Tuple[dt.date, Decimal]], title: str) -> bytes:
    labels = [short_month(period) for period, _ in months]
    values = [float(value) for _, value in months]
    average = sum(values) / len(values) if values else 0
    figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
    bars = axes.bar(labels, values, color="#0B5394")
    if bars:
        bars[-1].set_color("#E69138")
    axes.axhline(average, color="#999999", linestyle="--", linewidth=1, label=f"Promedio {average:,.0f} kWh".replace(",", "."))
    axes.set_ylabel("kWh")
    axes.set_title(title)
    axes.legend(loc="upper left", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    plt.setp(axes.get_xticklabels(), rotation=45, ha="right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
