"""The codebook of an export: every column with its labels (zh/en), type, values and the instrument versions it is in.

The columns are, in order: the response's keys and context (``id`` ... ``submitted_at``), the context answers (the
questionnaires' choice items: ``service_type``, ``service_when``, ``channel``, ``warranty``, ``cmp1`` ...), the scale
items (those of every instrument first, then each industry's block), and ``flagged``, ``flags`` and ``weight``.
Every writer takes its column list and labels from here, and so does the codebook file itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec
from msgspec import Struct

from survey.instruments.spec import ChoiceItem, Instrument, ScaleItem, Text
from survey.regions import IndustryList, RegionList

Kind = Literal["text", "code", "scale", "integer", "boolean", "datetime", "number"]
TIME_ZONE = "+08:00"  # times are exported in China Standard Time
UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet runs a cell starting with these as a formula


class Value(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One value of a column: as the CSV, Excel and Parquet files hold it, as .sav holds it, and its label."""

    value: str | int
    number: int | None = None  # the number that stands for it in .sav (None: .sav holds the text)
    label: Text


class Column(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: str
    label: Text
    kind: Kind
    values: tuple[Value, ...] = ()
    versions: tuple[str, ...] = ()  # "automobile-1": the instrument versions whose responses have it
    note: str = ""


class Codebook(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    campaign: str
    columns: tuple[Column, ...]

    def codes(self) -> list[str]:
        return [column.code for column in self.columns]

    def of(self, *kinds: Kind) -> list[Column]:
        return [column for column in self.columns if column.kind in kinds]

    def choices(self) -> list[str]:
        """The context answers that come from the answers JSON (the instruments' choice items)."""
        return [column.code for column in self.of("code") if column.code not in RECORD]

    def items(self) -> list[str]:
        return [column.code for column in self.of("scale")]


RECORD = frozenset({"id", "instrument", "version", "industry", "enterprise", "enterprise_name", "outlet", "city",
                    "submitted_via", "locale", "is_test", "started_at", "submitted_at", "flagged", "flags", "weight"})
NO_YES = (Value(value="false", number=0, label=Text(zh="否", en="no")),
          Value(value="true", number=1, label=Text(zh="是", en="yes")))


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


def build_codebook(
    campaign: str,
    instruments: Sequence[Instrument],
    industries: IndustryList,
    regions: RegionList,
    flag_rules: Iterable[str] = (),
) -> Codebook:
    """The columns of an export of `campaign`'s responses to `instruments` (every version that may occur)."""
    everything = tuple(f"{i.code}-{i.version}" for i in instruments)
    present = {i.industry for i in instruments}
    industry_values = tuple(
        Value(value=industry.code, number=number, label=_t(industry.zh, industry.en))
        for number, industry in enumerate(industries.industries, start=1) if industry.code in present
    )
    city_values = tuple(Value(value=city.code, number=int(city.code), label=_t(city.zh, city.en))
                        for city in regions.cities)
    rules = sorted(set(flag_rules))
    keys = (
        Column(code="id", label=_t("答卷编号", "response id (UUID)"), kind="text"),
        Column(code="instrument", label=_t("问卷代码", "instrument code"), kind="text",
               values=tuple(Value(value=i.code, label=i.title) for i in {i.code: i for i in instruments}.values())),
        Column(code="version", label=_t("问卷版本", "instrument version"), kind="integer"),
        Column(code="industry", label=_t("行业", "industry"), kind="code", values=industry_values),
        Column(code="enterprise", label=_t("企业编号", "enterprise id"), kind="integer"),
        Column(code="enterprise_name", label=_t("企业名称", "enterprise name"), kind="text",
               note="in .sav cut to 255 bytes (85 Chinese characters)"),
        Column(code="outlet", label=_t("服务网点编号", "outlet id"), kind="integer", note="missing: outlet not known"),
        Column(code="city", label=_t("城市", "city"), kind="code", values=city_values,
               note="GB/T 2260 code; in .sav the code is the number"),
        Column(code="submitted_via", label=_t("提交方式", "submitted via"), kind="text",
               note="api, form, demo ..."),
        Column(code="locale", label=_t("作答语言", "language of the questionnaire"), kind="text"),
        Column(code="is_test", label=_t("测试答卷", "test submission (never scored)"), kind="boolean", values=NO_YES),
        Column(code="started_at", label=_t("开始作答时间", "started at"), kind="datetime",
               note=f"China Standard Time (UTC{TIME_ZONE}), to the second"),
        Column(code="submitted_at", label=_t("提交时间", "submitted at"), kind="datetime",
               note=f"China Standard Time (UTC{TIME_ZONE}), to the second"),
    )
    tail = (
        Column(code="flagged", label=_t("有质量标记", "has a quality flag"), kind="boolean", values=NO_YES,
               note="a flag that was not overridden"),
        Column(code="flags", label=_t("质量标记", "quality flags"), kind="text",
               values=tuple(Value(value=rule, label=_t(rule, rule)) for rule in rules),
               note="the rules that flagged the response, comma-separated; overridden flags are left out"),
        Column(code="weight", label=_t("权重", "weight"), kind="number",
               note="1.0 for every response until raking weights are stored"),
    )
    record = tuple(msgspec.structs.replace(column, versions=everything) for column in keys + tail)
    columns = record[:len(keys)] + _choices(instruments) + _scales(instruments) + record[len(keys):]
    return Codebook(campaign=campaign, columns=columns)


def _choices(instruments: Sequence[Instrument]) -> tuple[Column, ...]:
    found: dict[str, list[tuple[Instrument, ChoiceItem]]] = {}
    for instrument in instruments:
        for item in instrument.items():
            if isinstance(item, ChoiceItem):
                found.setdefault(item.code, []).append((instrument, item))
    columns = []
    for code, uses in found.items():
        options = {}
        for _, item in uses:
            for option in item.options:
                options.setdefault(option.code, option.label)
        latest = uses[-1][1]
        columns.append(Column(
            code=code, label=latest.text, kind="code", versions=_versions(uses),
            values=tuple(Value(value=option, number=n, label=label)
                         for n, (option, label) in enumerate(options.items(), start=1)),
        ))
    return tuple(columns)


def _scales(instruments: Sequence[Instrument]) -> tuple[Column, ...]:
    found: dict[str, list[tuple[Instrument, ScaleItem]]] = {}
    for instrument in instruments:
        for item in instrument.items():
            if isinstance(item, ScaleItem):
                found.setdefault(item.code, []).append((instrument, item))
    everywhere = [code for code, uses in found.items() if len(uses) == len(instruments)]
    ordered = everywhere + [code for code in found if code not in everywhere]
    columns = []
    for code in ordered:
        item = found[code][-1][1]
        low = Value(value=item.low, number=item.low, label=item.low_label)
        high = Value(value=item.high, number=item.high, label=item.high_label)
        columns.append(Column(
            code=code, label=item.text, kind="scale", versions=_versions(found[code]), values=(low, high),
            note=f"{item.low}-{item.high}; missing: not applicable, not asked or not answered",
        ))
    return tuple(columns)


def _versions(uses: Sequence[tuple[Instrument, object]]) -> tuple[str, ...]:
    return tuple(f"{instrument.code}-{instrument.version}" for instrument, _ in uses)


def codebook_json(codebook: Codebook) -> bytes:
    return msgspec.json.format(msgspec.json.encode(codebook), indent=2) + b"\n"


def codebook_rows(codebook: Codebook) -> list[list[str]]:
    """A header and one line per column; values as `value=zh/en` joined by `; `, .sav numbers where they differ."""
    lines = [["code", "label_zh", "label_en", "type", "values", "sav_numbers", "versions", "note"]]
    for column in codebook.columns:
        lines.append([
            column.code, column.label.zh, column.label.en, column.kind,
            "; ".join(f"{v.value}={v.label.zh}/{v.label.en}" for v in column.values),
            "; ".join(f"{v.value}={v.number}" for v in column.values if v.number is not None and str(v.value) != str(v.number)),
            " ".join(column.versions), column.note,
        ])
    return lines


def codebook_csv(codebook: Codebook) -> bytes:
    """The codebook for spreadsheets: UTF-8 with a byte-order mark, text that could run as a formula prefixed with '."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        [["'" + cell if cell.startswith(UNSAFE_START) else cell for cell in line] for line in codebook_rows(codebook)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
