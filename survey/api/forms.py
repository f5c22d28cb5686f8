"""HTML forms into msgspec Structs: every field read on its own, so that each problem is named beside its field.

A form posts strings. `read_form` turns them into the Struct the API takes (the same types and constraints), with
a reason per field in the page's language instead of the first decode error; `explain` words the domain's own
reasons (InvalidInput) for the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any, TypeVar, get_type_hints

import msgspec
import msgspec.inspect

from survey.errors import FieldError

T = TypeVar("T", bound=msgspec.Struct)
Errors = dict[str, str]  # field -> reason, in the page's language

# (中文, English); {n} is the limit that was broken
SAY = {
    "required": ("必填。", "Required."),
    "int": ("请填写整数。", "Enter a whole number."),
    "float": ("请填写数字。", "Enter a number."),
    "date": ("请按 年-月-日 填写日期，例如 2026-03-01。", "Enter a date as YYYY-MM-DD, e.g. 2026-03-01."),
    "format": ("格式不正确，请参照说明。", "Not in the expected form; see the hint."),
    "longest": ("最多 {n} 个字符。", "At most {n} characters."),
    "shortest": ("至少 {n} 个字符。", "At least {n} characters."),
    "least": ("不能小于 {n}。", "Must be at least {n}."),
    "above": ("须大于 {n}。", "Must be above {n}."),
    "most": ("不能大于 {n}。", "Must be at most {n}."),
    "choice": ("请从列表中选择。", "Choose one from the list."),
    "pick_least": ("请至少选择 {n} 项。", "Choose at least {n}."),
    "pick_most": ("最多选择 {n} 项。", "Choose at most {n}."),
}
# Domain reasons (survey.registry, the stores) and how a page says them in Chinese; English pages show them as they are.
DOMAIN_ZH = [
    (re.compile(r"^unknown industry"), "未知行业。"),
    (re.compile(r"^must not be before opens_on"), "结束日期不能早于开始日期。"),
    (re.compile(r"is not a city of"), "不是本省的城市。"),
    (re.compile(r"^give latitude and longitude together"), "纬度和经度须同时填写。"),
    (re.compile(r"^must be 18 characters"), "统一社会信用代码须为 18 位。"),
    (re.compile(r"^characters not allowed"), "统一社会信用代码含有不允许的字符。"),
    (re.compile(r"^check character is"), "统一社会信用代码的校验位不正确。"),
    (re.compile(r"^no such enterprise|^no enterprise"), "没有这个企业。"),
    (re.compile(r"^no outlet"), "该企业没有这个网点。"),
    (re.compile(r"^no campaign"), "没有这个测评活动。"),
    (re.compile(r"is closed$"), "该测评活动已结束。"),
    (re.compile(r"which campaign .* does not cover$"), "该企业的行业不在此测评活动之内。"),
]


def say(key: str, locale: str, n: object = "") -> str:
    zh, en = SAY[key]
    return (en if locale == "en" else zh).format(n=n)


def explain(reason: str, locale: str) -> str:
    """A domain reason for a page: in Chinese where it is a known one (with the English kept after it)."""
    if locale == "en":
        return reason
    for pattern, zh in DOMAIN_ZH:
        if pattern.search(reason):
            return f"{zh} ({reason})"
    return reason


def field_errors(errors: Collection[FieldError], locale: str) -> Errors:
    """The domain's field errors, one line per field (`industries[2]` is shown beside `industries`)."""
    shown: Errors = {}
    for error in errors:
        field = error.field.split("[", 1)[0].split(".", 1)[0]
        text = explain(error.reason, locale)
        shown[field] = f"{shown[field]} {text}" if field in shown else text
    return shown


@cache
def _hints(schema: type) -> dict[str, Any]:
    return get_type_hints(schema, include_extras=True)


@cache
def _required(schema: type) -> frozenset[str]:
    return frozenset(field.name for field in msgspec.inspect.type_info(schema).fields if field.required)


def _decode_error(message: str, locale: str) -> str:
    """msgspec's reason for one value, worded for the page."""
    bound = re.search(r"(>=|<=|>|<) (-?[\d.]+)", message)
    if "`array`" in message and bound:
        return say("pick_most" if bound[1].startswith("<") else "pick_least", locale, bound[2])
    if "length" in message and bound:
        return say("longest" if bound[1].startswith("<") else "shortest", locale, bound[2])
    if bound:
        limit = bound[2].removesuffix(".0")
        return say({">=": "least", ">": "above", "<=": "most", "<": "most"}[bound[1]], locale, limit)
    if "matching regex" in message:
        return say("format", locale)
    if "enum value" in message:
        return say("choice", locale)
    if "`date`" in message or "date" in message.lower():
        return say("date", locale)
    if "`float`" in message or "out of range" in message.lower():
        return say("float", locale)
    if "`int`" in message:
        return say("int", locale)
    return message


def _number(raw: str, annotation: Any) -> Any:
    """A posted number as int or float when the field takes one (so that "12" meets an int and "1.5" a float)."""
    text = repr(annotation)
    if "float" in text:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return value
    if re.search(r"\bint\b", text):
        if not re.fullmatch(r"[+-]?\d{1,18}", raw):
            raise ValueError(raw)
        return int(raw)
    return raw


def read_form(
    form: Mapping[str, str],
    schema: type[T],
    locale: str,
    *,
    checkboxes: Collection[str] = (),
    lists: Mapping[str, list[str]] | None = None,
    required: Collection[str] = (),
) -> tuple[T | None, Errors]:
    """The Struct a form describes, or None and a reason per field.

    Empty fields are left out (the Struct's default applies; a required one is "required"); `checkboxes` are True
    when posted and False when not; `lists` gives fields whose values the caller gathered (ticked boxes);
    `required` names fields this form needs although the Struct has a default for them (an edit form's title).
    """
    hints = _hints(schema)
    required = _required(schema) | set(required)
    values: dict[str, Any] = {}
    errors: Errors = {}
    for name in schema.__struct_fields__:
        if name in checkboxes:
            values[name] = name in form and form[name] not in ("", "0", "false", "off")
            continue
        if lists is not None and name in lists:
            raw_value: Any = lists[name]
        else:
            raw = str(form.get(name, "")).strip()
            if not raw:
                if name in required:
                    errors[name] = say("required", locale)
                continue
            try:
                raw_value = _number(raw, hints[name])
            except ValueError:
                errors[name] = say("float" if "float" in repr(hints[name]) else "int", locale)
                continue
        try:
            values[name] = msgspec.convert(raw_value, hints[name], strict=False)
        except msgspec.ValidationError as exc:
            errors[name] = _decode_error(str(exc).split(" - at ")[0], locale)
    if errors:
        return None, errors
    try:
        return msgspec.convert(values, schema), {}
    except msgspec.ValidationError as exc:  # a rule across fields that the types state
        reason, _, path = str(exc).partition(" - at ")
        return None, {path.strip("`$.") or "form": _decode_error(reason, locale)}
