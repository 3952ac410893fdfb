"""The KPI charts (PNG), drawn on the server so the dashboard and the report need no chart library or CDN."""
from __future__ import annotations

import io
from typing import Dict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"whatsapp": "#25A244", "sms": "#0B5394", "telegram": "#2AA3DF", "web": "#0B4F8A", "rest": "#999999"}


def _png(figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def channel_mix(figures: Dict) -> bytes:
    """Customer messages per period, stacked by channel."""
    mix = figures["channels"]["mix_over_time"]
    periods = list(mix)
    channels = sorted({name for counts in mix.values() for name in counts})
    figure, axes = plt.subplots(figsize=(8, 3.2), dpi=100)
    bottom = [0] * len(periods)
    for name in channels:
        values = [mix[p].get(name, 0) for p in periods]
        axes.bar(range(len(periods)), values, bottom=bottom, label=name, color=COLORS.get(name, "#E69138"))
        bottom = [b + v for b, v in zip(bottom, values, strict=False)]
    axes.set_xticks(range(len(periods)), [p[5:] for p in periods])
    axes.set_title("Mensajes de clientes por canal")
    axes.spines[["top", "right"]].set_visible(False)
    if channels:
        axes.legend(frameon=False, ncol=len(channels), loc="upper left")
    plt.setp(axes.get_xticklabels(), rotation=45, ha="right", fontsize=8)
    return _png(figure)


def satisfaction(figures: Dict) -> bytes:
    """How many customers gave each score."""
    distribution = figures["satisfaction"]["distribution"]
    figure, axes = plt.subplots(figsize=(4, 3), dpi=100)
    axes.bar(range(1, 6), [distribution[str(score)] for score in range(1, 6)],
             color=["#CC0000", "#E69138", "#F1C232", "#6AA84F", "#38761D"])
    axes.set_xticks(range(1, 6))
    average = figures["satisfaction"]["average"]
    axes.set_title(f"Satisfacción (promedio {average:.2f})".replace(".", ",") if average else "Satisfacción")
    axes.set_xlabel("Calificación")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def complaints(figures: Dict) -> bytes:
    """Complaints filed per category."""
    filed = figures["complaints"]["filed_by_category"]
    figure, axes = plt.subplots(figsize=(5, 3), dpi=100)
    axes.barh(list(filed)[::-1], list(filed.values())[::-1], color="#0B5394")
    axes.set_title("Reclamos por categoría")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


CHARTS = {"channels": channel_mix, "satisfaction": satisfaction, "complaints": complaints}
