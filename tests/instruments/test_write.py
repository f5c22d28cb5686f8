"""Writing an instrument as TOML: loading the text gives the same instrument back, and a written file is never replaced."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.instruments.catalogue import load_catalogue
from survey.instruments.load import load_instrument_text
from survey.instruments.write import dump_instrument, write_instrument

UNUSUAL = r'''
code = "unusual"
industry = "computer"
version = 3
kind = "audit"
title = { zh = "引号\"与反斜杠\\", en = "Tab\tnew\nline and DEL \u007f" }
intro = { zh = "说明", en = "Intro" }

[[sections]]
code = "main"
title = { zh = "部分", en = "Part" }

[[sections.items]]
type = "choice"
code = "q0"
text = { zh = "是否？", en = "Yes?" }
options = [{ code = "yes", label = { zh = "是", en = "Yes" } }, { code = "no", label = { zh = "否", en = "No" } }]
required = false

[[sections.items]]
type = "scale"
code = "q1"
construct = "QUAL"
low = 0
high = 11
na = false
text = { zh = "评分", en = "Rate" }
low_label = { zh = "很差", en = "Very poor" }
high_label = { zh = "很好", en = "Excellent" }
relevant = { item = "q0", equals = "yes" }

[[sections.items]]
type = "city"
code = "where"
text = { zh = "城市", en = "City" }
required = false

[[sections.items]]
type = "consent"
code = "ok"
text = { zh = "同意", en = "Agree" }
'''


@pytest.mark.parametrize("published", load_catalogue().all(), ids=lambda p: p.instrument.code)
def test_every_shipped_instrument_reads_back_equal(published) -> None:
    instrument = published.instrument
    assert load_instrument_text(dump_instrument(instrument), "dumped.toml") == instrument


def test_non_default_fields_and_awkward_characters_read_back_equal() -> None:
    instrument = load_instrument_text(UNUSUAL, "unusual.toml")
    assert instrument.title.en.endswith("\x7f")
    text = dump_instrument(instrument)
    assert load_instrument_text(text, "dumped.toml") == instrument
    assert "required = false" in text and "na = false" in text and "low = 0" in text


def test_write_names_the_file_by_code_and_version_and_never_replaces_it(tmp_path: Path) -> None:
    instrument = load_instrument_text(UNUSUAL, "unusual.toml")
    path = write_instrument(instrument, tmp_path)
    assert path == tmp_path / "unusual-3.toml"
    path.write_text("kept", encoding="utf-8")
    with pytest.raises(FileExistsError, match="unusual-3.toml exists"):
        write_instrument(instrument, tmp_path)
    assert path.read_text(encoding="utf-8") == "kept"
