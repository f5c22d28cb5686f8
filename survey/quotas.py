"""Quotas: a target of valid responses per cell (industry x city x enterprise, each of them or all), and progress."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from survey.registry import CampaignCode, CityCode, IndustryCode


class QuotaSet(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Set the target of one cell (created, or replaced when the cell has one); a dimension left out is "all"."""

    campaign: CampaignCode
    industry: IndustryCode | None = None
    city: CityCode | None = None
    enterprise: Annotated[int, Meta(ge=1)] | None = None
    target: Annotated[int, Meta(ge=1, le=1_000_000)]


class QuotaProgress(Struct, frozen=True, kw_only=True):
    """A quota and its live count of valid responses (not test, no standing quality flag)."""

    id: int
    campaign: str
    industry: str | None
    city: str | None
    enterprise: int | None
    enterprise_name: str | None
    target: int
    valid: int
    full: bool


class Cell(Struct, frozen=True, kw_only=True):
    industry: str | None
    city: str | None
    enterprise: int | None

    def covers(self, industry: str, city: str, enterprise: int) -> bool:
        """Whether a response of this industry, city and enterprise falls in the cell ("all" covers any)."""
        return ((self.industry is None or self.industry == industry) and (self.city is None or self.city == city)
                and (self.enterprise is None or self.enterprise == enterprise))

    def label(self) -> str:
        parts = [self.industry or "all industries", self.city or "all cities",
                 "all enterprises" if self.enterprise is None else f"enterprise {self.enterprise}"]
        return " x ".join(parts)
