"""``survey instruments xlsform export|import``: XLSForm workbooks from the command line; input errors exit 2.

Kept apart from the `xlsform` package so that `survey --help` does not load the spreadsheet library.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

USAGE_ERROR = 2


def add_commands(parser: argparse.ArgumentParser) -> None:
    """Declare ``xlsform export`` and ``xlsform import`` under `parser` (``survey instruments``)."""
    xlsform = parser.add_subparsers(title="instruments commands").add_parser(
        "xlsform", help="XLSForm workbooks for ODK Collect and KoboToolbox"
    )
    xlsform.set_defaults(run=lambda _: (xlsform.print_help(), USAGE_ERROR)[1])
    commands = xlsform.add_subparsers(title="xlsform commands")
    export = commands.add_parser("export", help="write a published questionnaire as an XLSForm workbook")
    export.add_argument("code", help="questionnaire code, e.g. automobile")
    export.add_argument("--version", type=int, help="published version (default: the latest)")
    export.add_argument("--output", type=Path, required=True, help="the .xlsx file to write")
    export.set_defaults(run=run_export)
    read = commands.add_parser(
        "import", help="make a new questionnaire version (TOML) from an XLSForm, listing what was not imported"
    )
    read.add_argument("workbook", type=Path, help="the XLSForm .xlsx file")
    read.add_argument("--output", type=Path, required=True, help="folder for <code>-<version>.toml (never replaced)")
    read.set_defaults(run=run_import)


def run_export(args: argparse.Namespace) -> int:
    from survey.instruments.catalogue import UnknownInstrument, load_catalogue
    from survey.instruments.xlsform import export_xlsform

    try:
        instrument = load_catalogue().get(args.code, args.version).instrument
    except UnknownInstrument as error:
        return _fail(str(error))
    try:
        args.output.write_bytes(export_xlsform(instrument))
    except OSError as error:
        return _fail(f"{args.output}: cannot write: {error.strerror}")
    print(f"wrote {args.output}: {instrument.code} version {instrument.version}, {len(instrument.items())} questions")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from survey.instruments.catalogue import LOCK, UnknownInstrument, digest, load_catalogue
    from survey.instruments.load import InstrumentError
    from survey.instruments.write import write_instrument
    from survey.instruments.xlsform import WorkbookError, import_xlsform

    folder: Path = args.output
    if not folder.is_dir():
        return _fail(f"{folder}: not a folder")
    try:
        catalogue = load_catalogue()
    except InstrumentError as error:
        return _fail(str(error))

    def versions(code: str) -> list[int]:
        """Published versions and those already written to the output folder."""
        try:
            published = list(catalogue.versions(code))
        except UnknownInstrument:
            published = []
        pattern = re.compile(rf"^{re.escape(code)}-([1-9][0-9]*)\.toml$")
        return published + [int(found[1]) for path in folder.iterdir() if (found := pattern.match(path.name))]

    try:
        instrument, skipped = import_xlsform(args.workbook, versions=versions)
        path = write_instrument(instrument, folder)
    except (WorkbookError, FileExistsError) as error:
        return _fail(str(error))
    print(f"wrote {path}: {instrument.code} version {instrument.version}, {len(instrument.items())} questions "
          f"in {len(instrument.sections)} sections")
    print(f"not imported ({len(skipped)}):" if skipped else "everything was imported")
    for entry in skipped:
        print(f"  {entry}")
    print(f"to publish it, put it in survey/instruments/data/ and append to {LOCK}:\n[[published]]\n"
          f'code = "{instrument.code}"\nversion = {instrument.version}\nsha256 = "{digest(instrument)}"')
    return 0


def _fail(message: str) -> int:
    print(f"survey: {message}", file=sys.stderr)
    return USAGE_ERROR
