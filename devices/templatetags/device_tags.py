"""Template filters of the device pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def uptime(seconds: int | None) -> str:
    """``266400`` → ``3d 2h`` (how an operator reads uptime at a glance)."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds % 60}s"


@register.filter
def percent_width(value: float | int | None) -> str:
    """A progress bar's CSS width from a percentage, clamped to 0-100 and locale-proof (a dot, never a comma)."""
    try:
        number = max(0.0, min(100.0, float(value or 0)))
    except (TypeError, ValueError):
        number = 0.0
    return f"{number:.1f}%"
