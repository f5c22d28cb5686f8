"""The questionnaire (instrument) format: msgspec Structs decoded from the TOML data files."""

from __future__ import annotations

import functools
from typing import Annotated, Literal

import msgspec
from msgspec import Meta, Struct

Code = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$", max_length=40)]
OptionCode = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_]{0,39}$", max_length=40)]  # "3_to_6_months"
Construct = Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9_]{0,15}$")]
Version = Annotated[int, Meta(ge=1, le=9999)]


class Text(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A string in both languages; Chinese first."""

    zh: Annotated[str, Meta(min_length=1, max_length=2000)]
    en: Annotated[str, Meta(min_length=1, max_length=2000)]

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


class Option(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: OptionCode
    label: Text


class Relevance(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Skip logic: the item is asked only when `item` was answered with `equals`."""

    item: Code
    equals: str


class ScaleItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="scale"):
    """A rating on low..high; "na" (not applicable) is stored as missing."""

    code: Code
    text: Text
    construct: Construct
    low: Annotated[int, Meta(ge=0, le=10)] = 1
    high: Annotated[int, Meta(ge=2, le=11)] = 10
    low_label: Text
    high_label: Text
    na: bool = True
    required: bool = True
    relevant: Relevance | None = None


class ChoiceItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="choice"):
    """One option out of a fixed list (screening and context questions, yes/no)."""

    code: Code
    text: Text
    options: Annotated[tuple[Option, ...], Meta(min_length=2, max_length=40)]
    required: bool = True
    relevant: Relevance | None = None


class CityItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="city"):
    """The respondent's city: one of the deployment's region list (data, see survey/regions)."""

    code: Code
    text: Text
    required: bool = True
    relevant: Relevance | None = None


class ConsentItem(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag="consent"):
    """Agreement to take part; a response is accepted only when it is true."""

    code: Code
    text: Text
    required: bool = True
    relevant: Relevance | None = None


Item = ScaleItem | ChoiceItem | CityItem | ConsentItem


class Section(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: Code
    title: Text
    items: Annotated[tuple[Item, ...], Meta(min_length=1, max_length=60)]


class Instrument(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, dict=True):
    """One published questionnaire version. Immutable: a change is a new version. (`dict=True` only gives it room
    for the cached list of its items: every submission walks them several times.)"""

    code: Code
    kind: Literal["survey", "audit"] = "survey"
    industry: Code
    version: Version
    title: Text
    intro: Text
    sections: Annotated[tuple[Section, ...], Meta(min_length=1, max_length=20)]

    def items(self) -> tuple[Item, ...]:
        return self._items

    @functools.cached_property
    def _items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    def scale_codes(self) -> tuple[str, ...]:
        """The codes of its scale items in order: the order of a stored response's item values."""
        return self._scale_codes

    @functools.cached_property
    def _scale_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items() if isinstance(item, ScaleItem))

    def scale_blocks(self) -> tuple[tuple[str, ...], ...]:
        """The codes of the scale items of each section that has any."""
        return self._scale_blocks

    @functools.cached_property
    def _scale_blocks(self) -> tuple[tuple[str, ...], ...]:
        sections = (tuple(i.code for i in s.items if isinstance(i, ScaleItem)) for s in self.sections)
        return tuple(s for s in sections if s)

    def scale_top(self) -> int:
        """The top of its scales (10 when it has none)."""
        return self._scale_top

    @functools.cached_property
    def _scale_top(self) -> int:
        return max((i.high for i in self.items() if isinstance(i, ScaleItem)), default=10)


def encode_canonical(instrument: Instrument) -> bytes:
    """Canonical JSON bytes of an instrument (sorted keys), the input of its content hash."""
    return msgspec.json.encode(msgspec.to_builtins(instrument), order="sorted")
