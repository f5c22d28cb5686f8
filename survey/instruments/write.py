"""Writing one instrument as a TOML file in the authors' form: the inverse of `load.load_instrument_text`."""

from __future__ import annotations

import json
from pathlib import Path

from survey.instruments.spec import ChoiceItem, Instrument, Item, ScaleItem, Text

_SCALE_DEFAULTS = {"low": 1, "high": 10, "na": True}


def dump_instrument(instrument: Instrument) -> str:
    """The whole instrument (no shared core) as TOML text; fields at their default are left out."""
    lines = [
        f"# Instrument {instrument.code}, version {instrument.version}.",
        "# Never edit a published version; copy this file to a new version instead.",
        f"code = {_string(instrument.code)}",
        f"industry = {_string(instrument.industry)}",
        f"version = {instrument.version}",
        f"kind = {_string(instrument.kind)}",
        f"title = {_text(instrument.title)}",
        f"intro = {_text(instrument.intro)}",
    ]
    for section in instrument.sections:
        lines += ["", "[[sections]]", f"code = {_string(section.code)}", f"title = {_text(section.title)}"]
        for item in section.items:
            lines += ["", "[[sections.items]]", *_item(item)]
    return "\n".join(lines) + "\n"


def write_instrument(instrument: Instrument, directory: Path) -> Path:
    """Write `<code>-<version>.toml` into `directory`, refusing to replace a file that is already there."""
    path = directory / f"{instrument.code}-{instrument.version}.toml"
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(dump_instrument(instrument))
    except FileExistsError:
        raise FileExistsError(f"{path} exists; a written version is never replaced, so nothing was written") from None
    return path


def _item(item: Item) -> list[str]:
    lines = [f"type = {_string(type(item).__struct_config__.tag)}", f"code = {_string(item.code)}"]
    if isinstance(item, ScaleItem):
        lines.append(f"construct = {_string(item.construct)}")
        lines += [f"{name} = {_value(getattr(item, name))}" for name, default in _SCALE_DEFAULTS.items()
                  if getattr(item, name) != default]
    lines.append(f"text = {_text(item.text)}")
    if isinstance(item, ScaleItem):
        lines += [f"low_label = {_text(item.low_label)}", f"high_label = {_text(item.high_label)}"]
    if isinstance(item, ChoiceItem):
        lines.append("options = [")
        lines += [f"  {{ code = {_string(o.code)}, label = {_text(o.label)} }}," for o in item.options]
        lines.append("]")
    if not item.required:
        lines.append("required = false")
    if item.relevant is not None:
        lines.append(f"relevant = {{ item = {_string(item.relevant.item)}, equals = {_string(item.relevant.equals)} }}")
    return lines


def _text(text: Text) -> str:
    return f"{{ zh = {_string(text.zh)}, en = {_string(text.en)} }}"


def _value(value: bool | int) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _string(value: str) -> str:
    """A TOML basic string: JSON's escapes are valid TOML, except that TOML also forbids a raw DEL."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
