"""A batch of invitations on paper and in a spreadsheet: a CSV of links and a printable page of QR codes."""

from __future__ import annotations

import csv
import io
import zipfile

import jinja2
import segno

from survey.invitations.spec import IssuedBatch

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("survey.invitations", "templates"), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def links_csv(issued: IssuedBatch) -> str:
    """One row per invitation: batch, number, campaign, enterprise, outlet and the link."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["batch", "number", "campaign", "enterprise", "enterprise_name", "outlet", "link"])
    batch = issued.batch
    for number, entry in enumerate(issued.links, start=1):
        writer.writerow([batch.id, number, batch.campaign, batch.enterprise, _cell(batch.enterprise_name),
                         "" if batch.outlet is None else batch.outlet, entry.link])
    return out.getvalue()


def _cell(text: str) -> str:
    """A spreadsheet reads a leading = + - @ as a formula: such a value is quoted as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def qr_svg(link: str) -> str:
    """An inline SVG QR code of the link (error correction M or better, no fixed size: the page scales it)."""
    code = segno.make(link, error="m", micro=False)
    return code.svg_inline(scale=1, border=4, omitsize=True)


def qr_page(issued: IssuedBatch, *, title: str) -> str:
    """A printable HTML page (A4, no scripts, no external files): one card per invitation with its QR code."""
    cards = [(number, entry.link, qr_svg(entry.link)) for number, entry in enumerate(issued.links, start=1)]
    return _templates.get_template("sheet.html").render(batch=issued.batch, title=title, cards=cards)


def batch_zip(issued: IssuedBatch, *, title: str) -> bytes:
    """Both files of a batch in one download: `batch-N.csv` (the links) and `batch-N.html` (the QR codes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"batch-{issued.batch.id}.csv", links_csv(issued))
        archive.writestr(f"batch-{issued.batch.id}.html", qr_page(issued, title=title))
    return out.getvalue()
