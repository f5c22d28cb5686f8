"""Evaluator plausibility: is the audit where, when and as often as it should be? Flags, never refusals."""

from __future__ import annotations

import datetime as dt
import math

from survey.audits.submission import Flag, Position

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)
FAR_M = 500.0  # farther from the outlet than this plus the device's reported accuracy is flagged


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def position_flags(position: Position | None, outlet: tuple[float, float] | None) -> list[Flag]:
    """No position at all, or a position too far from the outlet's (when the outlet has coordinates)."""
    if position is None:
        return [Flag(rule="no_position", detail="the device sent no position")]
    if outlet is None:
        return []
    distance = distance_m(position.latitude, position.longitude, *outlet)
    if distance > FAR_M + position.accuracy_m:
        return [Flag(rule="far_from_outlet",
                     detail=f"{distance:.0f} m from the outlet (accuracy {position.accuracy_m:.0f} m, limit {FAR_M:.0f} m)")]
    return []


def window_flags(visit_day: dt.date, opens_on: dt.date, closes_on: dt.date) -> list[Flag]:
    if opens_on <= visit_day <= closes_on:
        return []
    return [Flag(rule="outside_window", detail=f"visited on {visit_day}, the window is {opens_on} to {closes_on}")]


def same_day_flag(other_ids: list[str], visit_day: dt.date) -> list[Flag]:
    if not other_ids:
        return []
    return [Flag(rule="same_outlet_same_day", detail=f"also audited on {visit_day} by {', '.join(sorted(other_ids))[:300]}")]
