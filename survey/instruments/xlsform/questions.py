"""The survey sheet of an XLSForm read row by row: groups become sections, supported questions become items.

A question is imported exactly or not at all: one whose type, condition or answer rules the instrument format
cannot hold is skipped whole, with the reason. Columns that only change how a question looks (media, messages,
other languages) are dropped from questions that are imported, and listed too.
"""

from __future__ import annotations

import re

from msgspec import Struct

from survey.instruments.check import NA
from survey.instruments.spec import ChoiceItem, CityItem, ConsentItem, Item, Option, Relevance, ScaleItem, Section, Text
from survey.instruments.xlsform.form import (
    CODE,
    CONSTRUCT,
    INTRO,
    Skipped,
    anchor,
    language_of,
    scale_choices,
    scale_hint,
    text,
)
from survey.instruments.xlsform.sheets import Row, Sheet, WorkbookError

_SELECT_ONE = re.compile(r"^select[_ ]one\s+(\S+)$", re.IGNORECASE)
_GROUP = re.compile(r"^(begin|end)[_ ](group|repeat)$", re.IGNORECASE)
_RELEVANT = re.compile(r"""^\$\{\s*([^}\s]*)\s*\}\s*=\s*(?:'([^']*)'|"([^"]*)")$""")
_NUMBER = re.compile(r"^(?:0|[1-9][0-9]?)$")
_CONSTRUCT = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
_OPTION = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")
_YES, _NO = {"yes", "true", "true()", "1"}, {"", "no", "false", "false()", "0"}
_KEPT = {"type", "name", "required", "relevant", "appearance", CONSTRUCT}
# Columns that change which answers a question accepts or records: a question using one is skipped.
_CHANGES_ANSWERS = ("constraint", "choice_filter", "calculation", "default", "read_only", "readonly", "trigger",
                    "repeat_count", "parameters")
_TYPES = {  # reasons for types the format has no place for, by their first words
    "calculate": "calculated values are not questions; the format has none",
    "select multiple": "several answers to one question are not supported; the format has single choices",
    "select one": "or_other and choices from a file are not supported",
    "note": "notes are display-only text; the format has none apart from the intro",
}
_UNSUPPORTED = "the format has ratings (select_one with a construct), choices, city and consent"
_NOT_A_CONDITION = "is not of the form ${item} = 'value'"


class Choice(Struct, frozen=True, kw_only=True):
    row: Row
    name: str
    label: Text


class _Frame(Struct, frozen=True, kw_only=True):
    """An open group or repeat: its begin row, whether its contents are skipped, its condition."""

    row: Row
    kind: str
    skipping: bool
    relevant: str


class _Part(Struct, kw_only=True):
    """A section being read: its group row (None for questions outside any group)."""

    row: Row | None
    code: str
    title: Text
    items: list[Item]


class Questions:
    """One walk down the survey sheet; `intro` and `skipped` are filled on the way."""

    def __init__(self, lists: dict[str, list[Choice]], cities: frozenset[str], name: str) -> None:
        self.lists, self.cities, self.name = lists, cities, name
        self.intro: Text | None = None
        self.skipped: list[Skipped] = []
        self._parts: list[_Part] = []
        self._frames: list[_Frame] = []
        self._items: dict[str, Item] = {}
        self._rows: dict[str, int] = {}
        self._dropped: dict[str, list[int]] = {}
        self._scales: set[str] = set()

    def read(self, survey: Sheet, title: Text) -> list[Section]:
        """The sections with at least one imported question, in order."""
        self._check_names(survey)
        for row in survey.rows:
            kind = row.get("type")
            if not kind:
                raise WorkbookError(f"{self.name}: {row.where('type')}: empty, but the row has {', '.join(row.cells)}")
            group = _GROUP.match(kind)
            if group:
                (self._begin if group[1].lower() == "begin" else self._end)(row, group[2].lower())
            elif not any(frame.skipping for frame in self._frames):
                self._question(row, title)
        if self._frames:
            row, kind = self._frames[-1].row, self._frames[-1].kind
            raise WorkbookError(f"{self.name}: {row.where('type')}: begin_{kind} is never closed by end_{kind}")
        for column, numbers in self._dropped.items():
            self._skip(Row(sheet="survey", number=numbers[0], cells={}), column,
                       f"column not imported (rows {', '.join(map(str, numbers))}): not part of the instrument format")
        for part in self._parts:
            if not part.items and part.row is not None:
                self._skip(part.row, part.code, "no question of this group was imported, so it makes no section")
        sections = [Section(code=p.code, title=p.title, items=tuple(p.items)) for p in self._parts if p.items]
        if not sections:
            lines = "".join(f"\n  {entry}" for entry in self.skipped)
            raise WorkbookError(f"{self.name}: sheet survey: no question could be imported:{lines}")
        return sections

    def where(self, path: str) -> str:
        """The survey row behind a path such as `$.sections[1].items[2]` of the instrument read."""
        found = re.match(r"^\$\.sections\[(\d+)\](?:\.items\[(\d+)\])?", path)
        parts = [part for part in self._parts if part.items]
        if not found or int(found[1]) >= len(parts):
            return f"sheet {'survey' if path.startswith('$.sections') else 'settings'} ({path})"
        part = parts[int(found[1])]
        if found[2] is not None:
            return f"sheet survey, row {self._rows[part.items[int(found[2])].code]} ({path})"
        return f"sheet survey, row {part.row.number if part.row else '?'} ({path})"

    def _check_names(self, survey: Sheet) -> None:
        """Question names are unique in the form, and so are group names (a group may share its question's)."""
        seen: dict[tuple[bool, str], int] = {}
        for row in survey.rows:
            code, kind = row.get("name"), row.get("type").lower()
            if code and not kind.startswith("end"):
                key = (kind.startswith("begin"), code)
                if key in seen:
                    raise WorkbookError(
                        f"{self.name}: {row.where('name')}: name {code!r} used twice (first in row {seen[key]})"
                    )
                seen[key] = row.number
        self._rows = {code: number for (group, code), number in seen.items() if not group}

    def _skip(self, row: Row, name: str, reason: str) -> None:
        self.skipped.append(Skipped(sheet=row.sheet, row=row.number, name=name, reason=reason))

    def _begin(self, row: Row, kind: str) -> None:
        code, condition = row.get("name"), row.get("relevant")
        inside_skipped = any(frame.skipping for frame in self._frames)
        reason = None if inside_skipped else self._group_refusal(code, kind, condition)
        if reason:
            self._skip(row, code or f"begin_{kind}", reason)
        elif self._frames and not inside_skipped:
            self._skip(row, code, f"nested group: its questions were imported into section {self._parts[-1].code}; "
                       "the group itself (label, appearance) was not")
        elif not self._frames:
            self._parts.append(_Part(row=row, code=code, title=text(row, "label") or Text(zh=code, en=code), items=[]))
        skipping = inside_skipped or reason is not None
        self._frames.append(_Frame(row=row, kind=kind, skipping=skipping, relevant=condition))

    def _group_refusal(self, code: str, kind: str, condition: str) -> str | None:
        """Why nothing in a group or repeat can be imported, or None."""
        if kind == "repeat":
            return "repeats are not supported (every question is asked once); nothing in it was imported"
        if condition and not _RELEVANT.match(condition):
            return f"relevant {condition!r} {_NOT_A_CONDITION}; nothing in the group was imported"
        if not self._frames and not CODE.match(code):
            return f"name {code!r} is not a section code (a-z, 0-9, _; a letter first); nothing in it was imported"
        return None

    def _end(self, row: Row, kind: str) -> None:
        if not self._frames:
            raise WorkbookError(f"{self.name}: {row.where('type')}: end_{kind} without a begin_{kind}")
        frame = self._frames.pop()
        if frame.kind != kind:
            raise WorkbookError(
                f"{self.name}: {row.where('type')}: end_{kind} closes begin_{frame.kind} of row {frame.row.number}"
            )

    def _question(self, row: Row, title: Text) -> None:
        item = self._item(row)
        if item is None:
            return
        if not self._frames and (not self._parts or self._parts[-1].row is not None):
            codes = {part.code for part in self._parts}
            code = next(c for n in range(1, 1000) if (c := f"main_{n}" if n > 1 else "main") not in codes)
            self._parts.append(_Part(row=None, code=code, title=title, items=[]))
        self._parts[-1].items.append(item)
        self._items[item.code] = item
        for column in row.cells:
            base, _, language = column.partition("::")
            ours = base.lower() in ("label", "hint") and (not language or language_of(language))
            if column not in _KEPT and not ours:
                self._dropped.setdefault(column, []).append(row.number)
        hint = text(row, "hint")
        if hint is not None and not (isinstance(item, ScaleItem) and hint == scale_hint(item)):
            self._skip(row, item.code, "hint not imported: the format has no hints")

    def _item(self, row: Row) -> Item | None:
        """The item of a question row, or None when it is skipped (and listed) or is the intro."""
        kind, code = row.get("type"), row.get("name")
        select = _SELECT_ONE.match(kind)
        if select and select[1] not in self.lists:
            raise WorkbookError(f"{self.name}: {row.where('type')}: list {select[1]!r} is not in the choices sheet")
        words = " ".join(kind.lower().replace("_", " ").split())
        label = text(row, "label")
        if words == "note" and code == INTRO and label and self.intro is None and not self._frames and not self._parts:
            self.intro = label
            return None
        reason = self._refusal(row, select is not None or words == "acknowledge", words, label)
        conditions = [condition for condition in (*(frame.relevant for frame in self._frames), row.get("relevant"))
                      if condition]
        if reason is None and len(conditions) > 1:
            reason = "conditions on both a group and the question; the format has one condition per question"
        relevant = self._condition(conditions[0]) if reason is None and conditions else None
        if isinstance(relevant, str):
            reason, relevant = relevant, None
        item = None
        if reason is None:
            required = row.get("required").lower() in _YES
            fields = {"code": code, "text": label, "required": required, "relevant": relevant}
            if select is None:
                item = ConsentItem(**fields)
            elif row.get(CONSTRUCT):
                item, reason = self._scale(row, select[1], fields)
            else:
                item, reason = self._choice(select[1], fields)
        if reason is not None:
            self._skip(row, code or kind, reason)
        return item

    def _refusal(self, row: Row, supported: bool, words: str, label: Text | None) -> str | None:
        """Why a question row cannot be an item as a whole, or None."""
        if not supported:
            return next((reason for head, reason in _TYPES.items() if words.startswith(head)),
                        f"type {row.get('type')!r} not supported: {_UNSUPPORTED}")
        if not CODE.match(row.get("name")):
            return f"name {row.get('name')!r} is not an item code (a-z, 0-9, _; starting with a letter; at most 40)"
        used = [column for column in _CHANGES_ANSWERS if row.get(column)]
        if used:
            return f"column {used[0]} ({row.get(used[0])!r}) changes the answers and is not supported"
        if label is None:
            return "no label"
        if row.get("required").lower() not in _YES | _NO:
            return f"required {row.get('required')!r} is not supported: yes or no"
        return None

    def _condition(self, expression: str) -> Relevance | str:
        """The condition `${item} = 'value'` as a Relevance, or the reason it cannot be one."""
        found = _RELEVANT.match(expression.strip())
        if not found:
            return f"relevant {expression!r} {_NOT_A_CONDITION}"
        target, value = found[1], found[2] if found[2] is not None else found[3]
        earlier = self._items.get(target)
        if not isinstance(earlier, ChoiceItem):
            return f"relevant refers to {target!r}, which is not an earlier imported choice question"
        if value not in {option.code for option in earlier.options}:
            return f"relevant compares {target} with {value!r}, which is not one of its choices"
        return Relevance(item=target, equals=value)

    def _scale(self, row: Row, list_name: str, fields: dict) -> tuple[Item | None, str | None]:
        choices = self.lists[list_name]
        na = choices[-1].name == NA
        numbers = choices[:-1] if na else choices
        values = [int(choice.name) if _NUMBER.match(choice.name) else -1 for choice in numbers]
        low = values[0] if values else -1
        if len(values) < 2 or low < 0 or values != list(range(low, low + len(values))) or values[-1] > 11:
            return None, (f"list {list_name!r} is not a rating scale: its choices must be the whole numbers low..high "
                          f"(0-11) in order, then optionally {NA!r}")
        construct = row.get(CONSTRUCT)
        if not _CONSTRUCT.match(construct):
            return None, f"construct {construct!r} is not a construct name (A-Z, 0-9, _; at most 16)"
        scale = ScaleItem(**fields, construct=construct, low=low, high=values[-1], na=na,
                          low_label=anchor(numbers[0].label, low), high_label=anchor(numbers[-1].label, values[-1]))
        shown = dict(scale_choices(scale))
        between = choices[1 : len(numbers) - 1] + choices[len(numbers) :]
        if list_name not in self._scales and any(choice.label != shown[choice.name] for choice in between):
            self._skip(between[0].row, list_name, "labels of the choices between the scale's ends (and of na) not "
                       "imported: the form shows the numbers and its own 不适用 / N/A")
        self._scales.add(list_name)
        return scale, None

    def _choice(self, list_name: str, fields: dict) -> tuple[Item | None, str | None]:
        choices = self.lists[list_name]
        if {choice.name for choice in choices} == self.cities:
            return CityItem(**fields), None
        bad = [choice.name for choice in choices if not _OPTION.match(choice.name)]
        if bad:
            return None, f"choice {bad[0]!r} of list {list_name!r} is not an option code (a-z, 0-9, _; at most 40)"
        if not 2 <= len(choices) <= 40:
            return None, f"list {list_name!r} has {len(choices)} choices; a choice question has 2 to 40"
        return ChoiceItem(**fields, options=tuple(Option(code=c.name, label=c.label) for c in choices)), None
