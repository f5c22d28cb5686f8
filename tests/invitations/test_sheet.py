import csv
import datetime as dt
import io

import segno

from survey.invitations.sheet import batch_zip, links_csv, qr_page, qr_svg
from survey.invitations.spec import InvitationBatch, InvitationLink, IssuedBatch, link, token_sha256

BATCH = InvitationBatch(id=7, campaign="wave-1", industry="automobile", enterprise=3, enterprise_name="=HYPERLINK(1)",
                        outlet=None, outlet_name=None, count=2, used=0, created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
ISSUED = IssuedBatch(batch=BATCH, links=[InvitationLink(token=t, link=link("https://s.example/", t))
                                         for t in ("a" * 22, "b" * 22)])


def test_the_csv_has_a_row_per_link_and_no_formula():
    rows = list(csv.DictReader(io.StringIO(links_csv(ISSUED))))
    assert [r["link"] for r in rows] == ["https://s.example/i/" + "a" * 22, "https://s.example/i/" + "b" * 22]
    assert rows[0]["enterprise_name"] == "'=HYPERLINK(1)" and rows[1]["number"] == "2"


def test_the_page_has_a_qr_code_per_link_and_nothing_from_outside():
    page = qr_page(ISSUED, title="第一期 · Wave 1")
    assert page.count("<svg") == 2 and "<script" not in page and "src=" not in page
    assert "=HYPERLINK(1)" in page and "&lt;" not in qr_svg("x")
    assert qr_svg(ISSUED.links[0].link) in page


def test_the_qr_code_encodes_the_link():
    url = ISSUED.links[0].link
    expected = segno.make(url, error="m", micro=False)
    assert qr_svg(url) == expected.svg_inline(scale=1, border=4, omitsize=True)
    assert expected.designator.endswith(("M", "Q", "H"))  # error correction M or better, as printed codes need


def test_a_token_is_stored_as_its_sha256():
    assert token_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_the_zip_holds_both_files_of_the_batch():
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(batch_zip(ISSUED, title="第一期 · Wave 1")))
    assert archive.namelist() == ["batch-7.csv", "batch-7.html"]
    assert archive.read("batch-7.csv").decode() == links_csv(ISSUED)
    assert archive.read("batch-7.html").decode() == qr_page(ISSUED, title="第一期 · Wave 1")
