"""Writing an instrument as an XLSForm workbook (see `form` for the layout)."""

from __future__ import annotations

from collections.abc import Iterable

from survey.instruments.spec import ChoiceItem, CityItem, Instrument, Item, ScaleItem, Text
from survey.instruments.xlsform.form import (
    CHOICES,
    CITIES,
    CONSTRUCT,
    INTRO,
    LANGUAGES,
    NAMESPACES,
    SETTINGS,
    SURVEY,
    cells,
    relevant,
    scale_choices,
    scale_hint,
)
from survey.instruments.xlsform.sheets import write_workbook
from survey.regions import RegionList, load_regions

Cells = dict[str, str | None]


def export_xlsform(instrument: Instrument, regions: RegionList | None = None) -> bytes:
    """The instrument as an .xlsx XLSForm (survey, choices and settings sheets) that pyxform converts for ODK."""
    lists, regions = _Lists(), regions or load_regions()
    survey: list[Cells] = [{"type": "note", "name": INTRO, **cells("label", instrument.intro)}]
    for section in instrument.sections:
        survey.append({"type": "begin_group", "name": section.code, **cells("label", section.title),
                       "appearance": "field-list"})
        survey += [_question(item, lists, regions) for item in section.items]
        survey.append({"type": "end_group"})
    settings = {
        "form_title": instrument.title.zh, "form_id": instrument.code, "version": str(instrument.version),
        "default_language": LANGUAGES["zh"], "namespaces": NAMESPACES, "title_en": instrument.title.en,
        "industry": instrument.industry, "kind": instrument.kind,
    }
    return write_workbook(
        {"survey": (SURVEY, survey), "choices": (CHOICES, lists.rows), "settings": (SETTINGS, [settings])}
    )


def _question(item: Item, lists: _Lists, regions: RegionList) -> Cells:
    row: Cells = {"name": item.code, **cells("label", item.text), "required": "yes" if item.required else None}
    if item.relevant is not None:
        row["relevant"] = relevant(item.relevant.item, item.relevant.equals)
    if isinstance(item, ScaleItem):
        key = ("scale", item.low, item.high, item.na, item.low_label, item.high_label)
        name = lists.name(key, f"scale_{item.code}", scale_choices(item))
        return row | {"type": f"select_one {name}", "appearance": "likert", CONSTRUCT: item.construct,
                      **cells("hint", scale_hint(item))}
    if isinstance(item, ChoiceItem):
        options = [(option.code, option.label) for option in item.options]
        return row | {"type": "select_one " + lists.name(("choice", item.code), item.code, options)}
    if isinstance(item, CityItem):
        cities = [(city.code, Text(zh=city.zh, en=city.en)) for city in regions.cities]
        return row | {"type": "select_one " + lists.name(("city",), CITIES, cities)}
    return row | {"type": "acknowledge"}


class _Lists:
    """The choices sheet: one list per distinct scale, one per choice item, one of the cities."""

    def __init__(self) -> None:
        self.names: dict[object, str] = {}
        self.rows: list[Cells] = []

    def name(self, key: object, wanted: str, choices: Iterable[tuple[str, Text]]) -> str:
        """The list for `key`, added under `wanted` (or `wanted_2`, ... when that is taken) the first time."""
        if key not in self.names:
            name, n = wanted, 1
            while name in self.names.values():
                n += 1
                name = f"{wanted}_{n}"
            self.names[key] = name
            self.rows += [{"list_name": name, "name": code, **cells("label", label)} for code, label in choices]
        return self.names[key]
