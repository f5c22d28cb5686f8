"""`survey instruments xlsform export|import`: files written, versions never reused, input errors exit 2 with a message."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from survey.cli import main
from survey.instruments.catalogue import digest, load_catalogue
from survey.instruments.load import load_instrument_text


def test_instruments_without_a_subcommand_still_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["instruments"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10 and lines[1].startswith("automobile ")


def test_export_then_import_twice_makes_versions_two_and_three(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workbook = tmp_path / "automobile.xlsx"
    assert main(["instruments", "xlsform", "export", "automobile", "--version", "1", "--output", str(workbook)]) == 0
    assert capsys.readouterr().out == f"wrote {workbook}: automobile version 1, 33 questions\n"
    out = tmp_path / "out"
    out.mkdir()
    assert main(["instruments", "xlsform", "import", str(workbook), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    written = load_instrument_text((out / "automobile-2.toml").read_text("utf-8"), "automobile-2.toml")
    assert printed.startswith(f"wrote {out / 'automobile-2.toml'}: automobile version 2, 33 questions in 10 sections\n"
                              "everything was imported\n")
    assert f'sha256 = "{digest(written)}"' in printed
    original = load_catalogue().get("automobile", 1).instrument
    assert written.sections == original.sections
    assert main(["instruments", "xlsform", "import", str(workbook), "--output", str(out)]) == 0
    assert "automobile version 3" in capsys.readouterr().out
    assert sorted(path.name for path in out.iterdir()) == ["automobile-2.toml", "automobile-3.toml"]


def test_import_prints_what_was_not_imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (["type", "name", "label"], ["text", "remarks", "Remarks"], ["acknowledge", "consent", "I agree"]):
        survey.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_id", "industry"])
    settings.append(["brand_new", "computer"])
    path = tmp_path / "form.xlsx"
    book.save(path)
    assert main(["instruments", "xlsform", "import", str(path), "--output", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "brand_new version 1, 1 questions in 1 sections" in printed
    assert "not imported (1):\n  sheet survey, row 2 (remarks): type 'text' not supported" in printed
    assert (tmp_path / "brand_new-1.toml").is_file()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "nope", "--output", "{tmp}/x.xlsx"], "survey: no questionnaire 'nope'"),
        (["export", "automobile", "--version", "9", "--output", "{tmp}/x.xlsx"], "no version 9 of questionnaire"),
        (["export", "automobile", "--output", "{tmp}/no/such/folder/x.xlsx"], "cannot write: No such file or directory"),
        (["import", "{tmp}/bad.xlsx", "--output", "{tmp}"], "bad.xlsx: no sheet named survey (sheets: notes)"),
        (["import", "{tmp}/bad.xlsx", "--output", "{tmp}/bad.xlsx"], "bad.xlsx: not a folder"),
        (["import", "{tmp}/none.xlsx", "--output", "{tmp}"], "none.xlsx: not a readable .xlsx workbook"),
    ],
)
def test_input_errors_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    book = openpyxl.Workbook()
    book.active.title = "notes"
    buffer = io.BytesIO()
    book.save(buffer)
    (tmp_path / "bad.xlsx").write_bytes(buffer.getvalue())
    assert main(["instruments", "xlsform", *(arg.replace("{tmp}", str(tmp_path)) for arg in argv)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.out == ""


def test_xlsform_without_a_command_shows_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["instruments", "xlsform"]) == 2
    assert "{export,import}" in capsys.readouterr().out
