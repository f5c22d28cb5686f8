"""The on-site audit checklist format (after GB/T 27922) and the answers an evaluator gives to it."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from survey.instruments.spec import Code, Text, Version

Result = Literal["conforms", "partly", "not", "na"]
Points = Annotated[int, Meta(ge=1, le=20)]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
Note = Annotated[str, Meta(max_length=1000)]
Evidence = Literal["photo", "document"]


class CheckItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="check"):
    """Checked once: conforms (all points), partly (half), does not conform (none) or not applicable (left out)."""

    code: Code
    text: Text
    points: Points
    na: bool = False  # whether "not applicable" is allowed
    evidence: tuple[Evidence, ...] = ()  # what the evaluator should take (advice shown on the form)
    guidance: Text | None = None


class SampledItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="sampled"):
    """Checked on a sample (work orders, staff files, complaint cases): points x conforming / sample size."""

    code: Code
    text: Text
    points: Points
    unit: Text  # what is sampled, e.g. 工单 / work orders
    sample_min: Annotated[int, Meta(ge=1, le=100)] = 5  # the sample the evaluator should draw when there are enough
    na: bool = False  # "not applicable" when there is nothing to sample
    evidence: tuple[Evidence, ...] = ()
    guidance: Text | None = None


AuditItem = CheckItem | SampledItem


class Family(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One family of indicators: service system, commodity service, customer service, live tests, tangibles."""

    code: Code
    title: Text
    items: Annotated[tuple[AuditItem, ...], Meta(min_length=1, max_length=60)]


class Special(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A kind of special deduction (-1 for each finding) or of bonus (+1, at most one per audit)."""

    code: Code
    text: Text


class Checklist(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A published audit checklist version (kind "audit"); `industry` is "common" for the checklist all share."""

    code: Code
    kind: Literal["audit"] = "audit"
    industry: Code
    version: Version
    title: Text
    intro: Text
    families: Annotated[tuple[Family, ...], Meta(min_length=1, max_length=10)]
    # Plain tuples: Litestar's OpenAPI renders an Annotated tuple's items as oneOf [Special, {}], which every item
    # matches twice, so the API's own answers broke its schema (schemathesis). Shipped data, bounded by its files.
    deductions: tuple[Special, ...] = ()
    bonuses: tuple[Special, ...] = ()

    def items(self) -> tuple[AuditItem, ...]:
        return tuple(item for family in self.families for item in family.items)


class ItemAnswer(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The evaluator's finding on one item: `result` for a checked item; `sample` and `conforming` for a sampled
    one (or result "na" when there was nothing to sample)."""

    result: Result | None = None
    sample: Annotated[int, Meta(ge=0, le=10_000)] | None = None
    conforming: Annotated[int, Meta(ge=0, le=10_000)] | None = None
    note: Note = ""
    photos: Annotated[tuple[Sha256, ...], Meta(max_length=10)] = ()


class Finding(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A special deduction or the bonus: which kind, and what was found."""

    code: Code
    note: Note = ""
    photos: Annotated[tuple[Sha256, ...], Meta(max_length=10)] = ()
