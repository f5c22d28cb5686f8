"""Campaigns (waves), enterprises and outlets: write schemas, read schemas and their rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from survey.errors import FieldError, InvalidInput
from survey.regions import load_industries, load_regions
from survey.uscc import uscc_problem

Name = Annotated[str, Meta(min_length=1, max_length=200)]
CampaignCode = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
IndustryCode = Annotated[str, Meta(pattern=r"^[a-z][a-z_]{1,39}$")]
CityCode = Annotated[str, Meta(pattern=r"^\d{6}$")]
Status = Literal["draft", "open", "closed"]
Uscc = Annotated[str, Meta(min_length=18, max_length=18)]


class CampaignCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: CampaignCode
    title_zh: Name
    title_en: Name
    industries: Annotated[list[IndustryCode], Meta(min_length=1, max_length=10)]
    opens_on: dt.date
    closes_on: dt.date
    status: Status = "draft"
    is_demo: bool = False
    open_links: bool = True  # responses without an invitation (a QR code at the counter); False: invitations only


class CampaignUpdate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    title_zh: Name | None = None
    title_en: Name | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    status: Status | None = None
    open_links: bool | None = None


class Campaign(Struct, frozen=True, kw_only=True):
    id: int
    code: str
    title_zh: str
    title_en: str
    industries: list[str]
    opens_on: dt.date
    closes_on: dt.date
    status: Status
    is_demo: bool
    open_links: bool = True

    def accepts_on(self, day: dt.date) -> bool:
        """Whether a response submitted on `day` belongs to this campaign."""
        return self.status == "open" and self.opens_on <= day <= self.closes_on


class EnterpriseCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    uscc: Uscc
    name: Name
    industry: IndustryCode
    city: CityCode


class EnterpriseUpdate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Name | None = None
    city: CityCode | None = None


class Enterprise(Struct, frozen=True, kw_only=True):
    id: int
    uscc: str
    name: str
    industry: str
    city: str


Latitude = Annotated[float, Meta(ge=-90, le=90, description="WGS-84 degrees")]
Longitude = Annotated[float, Meta(ge=-180, le=180, description="WGS-84 degrees")]


class OutletCreate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    enterprise_id: Annotated[int, Meta(ge=1)]
    name: Name
    city: CityCode
    address: Annotated[str, Meta(min_length=1, max_length=400)]
    latitude: Latitude | None = None  # optional; with them, an audit far from the outlet is flagged
    longitude: Longitude | None = None


class OutletUpdate(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: Name | None = None
    city: CityCode | None = None
    address: Annotated[str, Meta(min_length=1, max_length=400)] | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class Outlet(Struct, frozen=True, kw_only=True):
    id: int
    enterprise_id: int
    name: str
    city: str
    address: str
    latitude: float | None = None
    longitude: float | None = None


def check_campaign(data: CampaignCreate | CampaignUpdate, current: Campaign | None = None) -> None:
    """Rules the types cannot say: known industries, dates in order."""
    errors: list[FieldError] = []
    known = set(load_industries().codes())
    for index, industry in enumerate(getattr(data, "industries", None) or []):
        if industry not in known:
            errors.append(FieldError(field=f"industries[{index}]", reason=f"unknown industry {industry!r}"))
    opens = data.opens_on or (current.opens_on if current else None)
    closes = data.closes_on or (current.closes_on if current else None)
    if opens and closes and opens > closes:
        errors.append(FieldError(field="closes_on", reason="must not be before opens_on"))
    if errors:
        raise InvalidInput(errors)


def check_enterprise(data: EnterpriseCreate | EnterpriseUpdate) -> None:
    errors: list[FieldError] = []
    if isinstance(data, EnterpriseCreate):
        problem = uscc_problem(data.uscc)
        if problem:
            errors.append(FieldError(field="uscc", reason=problem))
        if data.industry not in load_industries().codes():
            errors.append(FieldError(field="industry", reason=f"unknown industry {data.industry!r}"))
    errors += _city_errors(data.city)
    if errors:
        raise InvalidInput(errors)


def check_outlet(data: OutletCreate | OutletUpdate) -> None:
    errors = _city_errors(data.city)
    if (data.latitude is None) != (data.longitude is None):
        errors.append(FieldError(field="latitude" if data.latitude is None else "longitude",
                                 reason="give latitude and longitude together"))
    if errors:
        raise InvalidInput(errors)


def _city_errors(city: str | None) -> list[FieldError]:
    if city is None or city in load_regions().codes():
        return []
    return [FieldError(field="city", reason=f"{city} is not a city of {load_regions().province.en}")]
