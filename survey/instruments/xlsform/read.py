"""Reading an XLSForm workbook into a new instrument version: what it can represent, and the rest with reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec
from msgspec import Struct

from survey.instruments.load import InstrumentError, check_instrument
from survey.instruments.spec import Instrument, Text
from survey.instruments.xlsform.form import CODE, Skipped, text
from survey.instruments.xlsform.questions import Choice, Questions
from survey.instruments.xlsform.sheets import Row, Sheet, WorkbookError, read_workbook
from survey.regions import RegionList, load_industries, load_regions


class _Settings(Struct, frozen=True, kw_only=True):
    code: str
    title: Text
    industry: str
    kind: str


def import_xlsform(
    source: Path | bytes,
    *,
    versions: Callable[[str], Iterable[int]] = lambda code: (),
    regions: RegionList | None = None,
    name: str | None = None,
) -> tuple[Instrument, list[Skipped]]:
    """A new instrument version from an XLSForm, and the list of what was not imported with the reason.

    Its version is one more than the highest of `versions(code)` (the published ones and the files already written);
    the form's own `version` setting is not used. A malformed workbook raises WorkbookError naming sheet, row and
    reason; `name` names the workbook in messages (the file name by default).
    """
    name = name or (source.name if isinstance(source, Path) else "workbook")
    sheets = read_workbook(source, name)
    survey = sheets.get("survey")
    if survey is None:
        raise WorkbookError(f"{name}: no sheet named survey (sheets: {', '.join(sheets) or 'none'})")
    _require(survey, ("type", "name"), name)
    settings = _settings(sheets.get("settings"), name)
    questions = Questions(_lists(sheets.get("choices"), name), (regions or load_regions()).codes(), name)
    sections = questions.read(survey, settings.title)
    fields = {
        "code": settings.code, "kind": settings.kind, "industry": settings.industry,
        "version": max(versions(settings.code), default=0) + 1, "title": settings.title,
        "intro": questions.intro or settings.title, "sections": sections,
    }
    try:
        instrument = msgspec.convert(msgspec.to_builtins(fields), Instrument)
    except msgspec.ValidationError as error:
        reason, _, path = str(error).partition(" - at ")
        raise WorkbookError(f"{name}: {questions.where(path.strip('`'))}: {reason}") from None
    try:
        check_instrument(instrument, name)
    except InstrumentError as error:
        raise WorkbookError(str(error)) from None
    return instrument, questions.skipped


def _require(sheet: Sheet, columns: Iterable[str], name: str) -> None:
    for column in columns:
        if column not in sheet.header:
            raise WorkbookError(f"{name}: sheet {sheet.name}, row 1: no column {column!r}")


def _lists(sheet: Sheet | None, name: str) -> dict[str, list[Choice]]:
    """The choices sheet's lists by name, in order; a choice without a label is labelled by its name."""
    if sheet is None:
        return {}
    _require(sheet, ("list_name", "name"), name)
    lists: dict[str, list[Choice]] = {}
    for row in sheet.rows:
        list_name, code = row.get("list_name"), row.get("name")
        if not list_name or not code:
            raise WorkbookError(f"{name}: {row.where('name' if list_name else 'list_name')}: empty")
        choices = lists.setdefault(list_name, [])
        if any(choice.name == code for choice in choices):
            raise WorkbookError(f"{name}: {row.where('name')}: choice {code!r} appears twice in list {list_name!r}")
        choices.append(Choice(row=row, name=code, label=text(row, "label") or Text(zh=code, en=code)))
    return lists


def _settings(sheet: Sheet | None, name: str) -> _Settings:
    row = sheet.rows[0] if sheet is not None and sheet.rows else Row(sheet="settings", number=2, cells={})
    code = row.get("form_id") or row.get("id_string")
    if not CODE.match(code):
        reason = f"{code!r} is not an instrument code (a-z, 0-9, _; starting with a letter)" if code else "empty"
        raise WorkbookError(f"{name}: {row.where('form_id')}: {reason}")
    zh = row.get("form_title") or code
    industries = load_industries().codes()
    industry = row.get("industry") or (code if code in industries else "")
    if industry not in industries:
        raise WorkbookError(f"{name}: {row.where('industry')}: {industry or 'empty'}; one of {', '.join(industries)}")
    kind = row.get("kind") or "survey"
    if kind not in ("survey", "audit"):
        raise WorkbookError(f"{name}: {row.where('kind')}: {kind!r} is neither survey nor audit")
    return _Settings(code=code, title=Text(zh=zh, en=row.get("title_en") or zh), industry=industry, kind=kind)
