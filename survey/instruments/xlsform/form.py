"""The XLSForm this project writes and reads: columns, list names, and how each item kind becomes a question.

- settings: `form_id` is the instrument code, `version` its version, `form_title` the Chinese title; `title_en`,
  `industry` and `kind` are columns ODK ignores that carry the rest; `default_language` is Chinese.
- survey: the intro as a note named `intro`; each section a `field-list` group named by its code; labels and hints in
  `label::Chinese (zh)`, `label::English (en)`, `hint::Chinese (zh)`, `hint::English (en)`; skip logic in `relevant`
  as `${cmp1} = 'yes'`; the construct of a rating in `bind::survey:construct`, which pyxform writes as an attribute of
  the item's XForm bind in the namespace that `namespaces` declares, and which ODK keeps and ignores.
- A rating is a `select_one` of its own list "1".."10" (and "na" where "not applicable" is allowed), not an integer
  with a constraint: "na" is then a real choice, the very value the service stores as missing, rather than a magic
  number or a second question; ODK users get the familiar `likert` row; and the anchors travel as the labels of the
  end choices ("1 = 很差"), so the list says what the scale is and the form reads back without parsing prose.
- The city is a `select_one cities` of the region list's codes; consent a required `acknowledge`.
"""

from __future__ import annotations

import re

from msgspec import Struct

from survey.instruments.check import NA
from survey.instruments.spec import ScaleItem, Text
from survey.instruments.xlsform.sheets import Row

LANGUAGES = {"zh": "Chinese (zh)", "en": "English (en)"}
CONSTRUCT = "bind::survey:construct"
NAMESPACES = 'survey="urn:x-survey:instrument"'
CITIES = "cities"
INTRO = "intro"
NA_LABEL = Text(zh="不适用", en="N/A")
SURVEY = ("type", "name", *(f"{part}::{language}" for part in ("label", "hint") for language in LANGUAGES.values()),
          "required", "relevant", "appearance", CONSTRUCT)
CHOICES = ("list_name", "name", *(f"label::{language}" for language in LANGUAGES.values()))
SETTINGS = ("form_title", "form_id", "version", "default_language", "namespaces", "title_en", "industry", "kind")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class Skipped(Struct, frozen=True, kw_only=True):
    """Part of a form that was not imported, and why."""

    sheet: str
    row: int
    name: str
    reason: str

    def __str__(self) -> str:
        return f"sheet {self.sheet}, row {self.row} ({self.name}): {self.reason}"


def relevant(item: str, equals: str) -> str:
    """The XLSForm condition `${item} = 'equals'`."""
    return f"${{{item}}} = '{equals}'"


def scale_hint(item: ScaleItem) -> Text:
    """The hint under a rating (how to answer); derived from the scale, so an import does not read it back."""
    if item.na:
        return Text(zh=f"请打 {item.low}-{item.high} 分；不适用请选“不适用”。",
                    en=f"Score {item.low}-{item.high}; choose N/A if it does not apply.")
    return Text(zh=f"请打 {item.low}-{item.high} 分。", en=f"Score {item.low}-{item.high}.")


def scale_choices(item: ScaleItem) -> list[tuple[str, Text]]:
    """A rating's choices: the numbers, the ends labelled with their anchors ("1 = 很差"), then "na" if allowed."""
    def label(n: int) -> Text:
        anchor = item.low_label if n == item.low else item.high_label if n == item.high else None
        return Text(zh=f"{n} = {anchor.zh}", en=f"{n} = {anchor.en}") if anchor else Text(zh=str(n), en=str(n))

    return [(str(n), label(n)) for n in range(item.low, item.high + 1)] + ([(NA, NA_LABEL)] if item.na else [])


def anchor(label: Text, n: int) -> Text:
    """The anchor in the label of a scale's end choice: the label without its leading "1 = "."""
    def strip(text: str) -> str:
        return re.sub(rf"^{n}\s*=\s*", "", text) or text

    return Text(zh=strip(label.zh), en=strip(label.en))


def cells(column: str, text: Text) -> dict[str, str]:
    """`label::Chinese (zh)` and `label::English (en)` (or `hint::...`) cells of a text."""
    return {f"{column}::{LANGUAGES[language]}": getattr(text, language) for language in LANGUAGES}


def text(row: Row, column: str) -> Text | None:
    """Both languages of a row's label or hint; a missing one takes the other's, or the plain column's."""
    found: dict[str, str] = {}
    for header, value in row.cells.items():
        base, _, name = header.partition("::")
        if base.strip().lower() == column and name and (language := language_of(name)):
            found.setdefault(language, value)
    plain = row.get(column)
    zh = found.get("zh") or plain or found.get("en")
    en = found.get("en") or plain or found.get("zh")
    return Text(zh=zh, en=en) if zh and en else None


def language_of(name: str) -> str | None:
    """zh or en for an XLSForm language name such as `Chinese (zh)`, `English (en)`, `zh-CN` or `中文`."""
    lowered = name.strip().lower()
    if "(zh" in lowered or lowered.startswith(("chinese", "中文", "zh")):
        return "zh"
    if "(en" in lowered or lowered.startswith(("english", "en")):
        return "en"
    return None
