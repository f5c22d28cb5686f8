"""A small export written by hand: the automobile and e-commerce questionnaires' codebook and three tricky rows."""

from __future__ import annotations

import pandas as pd

from survey.exports.codebook import Codebook, build_codebook
from survey.instruments.catalogue import load_catalogue
from survey.regions import load_industries, load_regions

LONG_NAME = "很长的企业名称" * 20  # 140 characters, 420 bytes: more than .sav's 255


def codebook(rules: tuple[str, ...] = ("speeding", "straightlining")) -> Codebook:
    catalogue = load_catalogue()
    instruments = [catalogue.get("automobile").instrument, catalogue.get("e_commerce").instrument]
    return build_codebook("wave-x", instruments, load_industries(), load_regions(), rules)


def frame(book: Codebook) -> pd.DataFrame:
    """Three responses: a complete automobile one, an e-commerce one with missing answers and text that looks like
    formulas, and one with a name too long for .sav."""
    rows = {
        "id": ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
               "00000000-0000-4000-8000-000000000003"],
        "instrument": ["automobile", "e_commerce", "automobile"],
        "version": [1, 1, 1],
        "industry": ["automobile", "e_commerce", "automobile"],
        "enterprise": [1, 2, 3],
        "enterprise_name": ["广州汽车服务有限公司", "=HYPERLINK(\"http://x\")", LONG_NAME],
        "outlet": pd.array([7, None, 9], dtype="Int64"),
        "city": ["440100", "440300", "445300"],
        "submitted_via": ["api", "form", "demo"],
        "locale": ["zh", "en", "zh"],
        "is_test": [False, True, False],
        "started_at": pd.to_datetime(["2026-11-19T03:50:00Z", "2026-11-19T15:59:30Z", "2026-10-01T00:00:00Z"]),
        "submitted_at": pd.to_datetime(["2026-11-19T04:00:00Z", "2026-11-19T16:05:01Z", "2026-10-01T00:07:00Z"]),
        "service_type": ["repair", "return_refund", None],
        "service_when": ["within_3_months", "3_to_6_months", "6_to_12_months"],
        "channel": ["in_store", "remote", "on_site"],
        "warranty": ["in_warranty", "not_sure", "out_of_warranty"],
        "cmp1": ["yes", "no", "no"],
        "flagged": [False, True, True],
        "flags": ["", "speeding,straightlining", "-1+1"],
        "weight": [1.0, 1.0, 1.0],
    }
    for number, code in enumerate(book.items()):
        auto = code.startswith("auto")
        ecom = code.startswith("ecom")
        values = [None if ecom else 1 + number % 10, None if auto or code == "img2" else 10, None if ecom else 5]
        if code == "cmp2":
            values = [3, None, None]
        rows[code] = pd.array(values, dtype="UInt8")
    return pd.DataFrame({code: rows[code] for code in book.codes()})
