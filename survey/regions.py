"""Reference lists as data: the deployment's cities and the programme's ten industries."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Annotated

import msgspec
from msgspec import Meta, Struct


class Place(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[str, Meta(pattern=r"^\d{6}$")]
    zh: str
    en: str

    def name(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


class Industry(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: Annotated[str, Meta(pattern=r"^[a-z][a-z_]{1,39}$")]
    zh: str
    en: str

    def name(self, locale: str) -> str:
        return self.en if locale == "en" else self.zh


class RegionList(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    province: Place
    cities: Annotated[tuple[Place, ...], Meta(min_length=1)]

    def codes(self) -> frozenset[str]:
        return frozenset(city.code for city in self.cities)


class IndustryList(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    industries: Annotated[tuple[Industry, ...], Meta(min_length=1)]

    def codes(self) -> tuple[str, ...]:
        return tuple(industry.code for industry in self.industries)


def _read(name: str) -> dict:
    return tomllib.loads(resources.files("survey.data").joinpath(name).read_text("utf-8"))


@cache
def load_regions(name: str = "guangdong") -> RegionList:
    """The region list shipped as `survey/data/regions-<name>.toml`."""
    return msgspec.convert(_read(f"regions-{name}.toml"), RegionList)


@cache
def load_industries() -> IndustryList:
    """The ten industries, in the seed policy's order."""
    return msgspec.convert(_read("industries.toml"), IndustryList)
