"""The respondent's pages: one mobile-first HTML form per instrument that works without JavaScript, and its neighbours."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from survey.errors import FieldError
from survey.instruments.catalogue import Published
from survey.instruments.check import NA, explain
from survey.instruments.spec import ConsentItem, Instrument, ScaleItem, Text

WORDS: dict[str, Text] = {
    "switch": Text(zh="English", en="中文"),
    "submit": Text(zh="提交", en="Submit"),
    "na": Text(zh="不适用", en="N/A"),
    "consent": Text(zh="参与说明", en="Consent"),
    "choose": Text(zh="请选择", en="Please choose"),
    "problems": Text(zh="还有几处需要修改：", en="Please check these answers:"),
    "thanks": Text(zh="感谢您的参与！", en="Thank you for taking part!"),
    "received": Text(zh="您的回答已提交成功。", en="Your answers have been received."),
    "reference": Text(zh="回执编号", en="Reference"),
    "catalogue": Text(zh="售后服务满意度调查问卷", en="After-sales service satisfaction questionnaires"),
    "version": Text(zh="版本", en="version"),
}


@cache
def environment() -> Environment:
    """The template environment: package templates, autoescaped, strict about missing names."""
    return Environment(
        loader=PackageLoader("survey.instruments", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_form(
    instrument: Instrument,
    *,
    locale: str,
    action: str,
    hidden: Mapping[str, str],
    answers: Mapping[str, object],
    errors: Sequence[FieldError],
    cities: Sequence[tuple[str, str, str]],
    switch_url: str,
) -> str:
    """The questionnaire as one page, with the respondent's answers kept and errors beside their questions."""
    numbers = number(instrument)
    beside: dict[str, list[str]] = {}
    grouped: dict[str, tuple[str, list[tuple[str, str]]]] = {}  # worded reason -> (the reason, its questions)
    for error in errors:
        code = error.field.removeprefix("answers.")
        reason = explain(error.reason, locale)
        if code in numbers:
            beside.setdefault(code, []).append(reason)
            link = (f"#q-{code}", numbers[code] or WORDS["consent"].get(locale))
            grouped.setdefault(reason, (error.reason, []))[1].append(link)
        else:
            grouped.setdefault(f"{error.field}: {reason}", (error.reason, []))
    summary = {  # "Please answer these questions: 5, 7, 27" where several share a reason
        (explain(raw, locale, many=True) if len(links) > 1 else worded): links
        for worded, (raw, links) in grouped.items()
    }
    return _render(
        "form.html",
        locale,
        switch_url,
        instrument=instrument,
        action=action,
        hidden=hidden,
        chosen={code: _chosen(value) for code, value in answers.items()},
        numbers=numbers,
        anchored=anchor(instrument),
        beside=beside,
        summary=summary,
        cities=[(code, en if locale == "en" else zh) for code, zh, en in cities],
        na=NA,
        kind=lambda item: type(item).__struct_config__.tag,
    )


def render_thanks(instrument: Instrument, *, locale: str, response_id: str, switch_url: str | None = None) -> str:
    """The page shown after a response was stored."""
    return _render("thanks.html", locale, switch_url, instrument=instrument, response_id=response_id)


def render_catalogue(
    published: Sequence[Published], *, locale: str, link: Callable[[str], str], switch_url: str | None = None
) -> str:
    """A list of the questionnaires, each linked by its code."""
    return _render("catalogue.html", locale, switch_url, published=published, link=link)


def _render(template: str, locale: str, switch_url: str | None, **context: object) -> str:
    en = locale == "en"
    words = {key: text.get(locale) for key, text in WORDS.items()}
    return environment().get_template(template).render(
        lang="en" if en else "zh-CN",
        switch_lang="zh-CN" if en else "en",
        switch_url=switch_url,
        w=words,
        t=lambda text: text.get(locale),
        **context,
    )


def number(instrument: Instrument) -> dict[str, str]:
    """The number shown before each question; the consent statement has none."""
    numbers: dict[str, str] = {}
    for item in instrument.items():
        numbers[item.code] = "" if isinstance(item, ConsentItem) else str(len([n for n in numbers.values() if n]) + 1)
    return numbers


def anchor(instrument: Instrument) -> set[str]:
    """The scale items that show their anchor labels: the first of each run with the same labels in a section."""
    shown: set[str] = set()
    for section in instrument.sections:
        previous = None
        for item in section.items:
            labels = (item.low, item.high, item.low_label, item.high_label) if isinstance(item, ScaleItem) else None
            if labels is not None and labels != previous:
                shown.add(item.code)
            previous = labels
    return shown


def _chosen(value: object) -> str:
    """An answer as the form value that shows it: None is "na", True is "yes"."""
    if value is None:
        return NA
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)
