"""Which responses an export holds: the filters, their checks, and the questionnaire versions they may answer."""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Literal

from msgspec import Meta, Struct

from survey.errors import FieldError, InvalidInput
from survey.instruments.catalogue import Catalogue
from survey.instruments.spec import Instrument
from survey.registry import Campaign, CityCode, IndustryCode

Flags = Literal["all", "flagged", "unflagged"]
EnterpriseId = Annotated[int, Meta(ge=1)]


class ExportFilter(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Empty tuples mean every industry, city or enterprise; `flags` looks only at flags that were not overridden."""

    industries: tuple[IndustryCode, ...] = ()
    cities: tuple[CityCode, ...] = ()
    enterprises: tuple[EnterpriseId, ...] = ()
    flags: Flags = "all"


def check_filter(selection: ExportFilter, campaign: Campaign, cities: Collection[str]) -> None:
    """Refuse an industry the campaign does not cover and a city outside the region list (InvalidInput)."""
    errors = [
        FieldError(field="industry", reason=f"campaign {campaign.code} does not cover {industry!r} "
                                            f"(it covers {', '.join(campaign.industries)})")
        for industry in selection.industries if industry not in campaign.industries
    ]
    errors += [FieldError(field="city", reason=f"unknown city {city!r}")
               for city in selection.cities if city not in cities]
    if errors:
        raise InvalidInput(errors)


def exported_instruments(catalogue: Catalogue, campaign: Campaign, selection: ExportFilter) -> list[Instrument]:
    """Every published version of the survey questionnaires of the selected industries, in the campaign's order."""
    industries = [code for code in campaign.industries if not selection.industries or code in selection.industries]
    chosen = []
    for industry in industries:
        for entry in catalogue.all():
            instrument = entry.instrument
            if instrument.kind == "survey" and instrument.industry == industry:
                chosen += [catalogue.get(instrument.code, version).instrument
                           for version in catalogue.versions(instrument.code)]
    return chosen
