"""A clearly marked demo wave: registry, synthetic responses from a model with known parameters, a published release.

`make run` creates it on the first start of an empty embedded database, so a newcomer sees real pages at once.
The responses come from :mod:`survey.releases.synthetic` (industries spread around the 85 target, enterprises
varying about their industry, some "not applicable" answers and a few test responses); every page and every
release of the demo campaign says that it is demo data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterator

import msgspec
import numpy as np
import pandas as pd

from survey.instruments.catalogue import Catalogue
from survey.instruments.spec import ChoiceItem, Instrument, ScaleItem
from survey.registry import CampaignCreate, EnterpriseCreate, OutletCreate
from survey.regions import load_industries, load_regions
from survey.releases import synthetic
from survey.releases.pipeline import build_release, industry_blocks, publish_release
from survey.responses import MISSING
from survey.store import registry as store
from survey.store.engine import Database
from survey.store.responses import insert_generated
from survey.uscc import check_character

DEMO_CODE = "demo"
ENTERPRISES_PER_INDUSTRY = 8
RESPONDENTS = (20, 90)  # respondents per enterprise, drawn uniformly
TEST_SHARE = 0.01  # responses marked as test submissions, which every release leaves out
SEED = 2026
Progress = Callable[[str, float], None]


class Wave(msgspec.Struct, frozen=True, kw_only=True):
    """A generated wave as stored: the campaign, its enterprise ids and the number of responses."""

    campaign: str
    enterprises: int
    responses: int


def demo_uscc(serial: int) -> str:
    """A well-formed code in a range no real organisation uses (registration authority 9, type 9, area 449999)."""
    first17 = f"99449999DEMO{serial:05d}".replace("O", "0")
    return first17 + check_character(first17)


def create_demo(
    db: Database,
    catalogue: Catalogue,
    today: dt.date | None = None,
    *,
    enterprises_per_industry: int = ENTERPRISES_PER_INDUSTRY,
    respondents: tuple[int, int] = RESPONDENTS,
    resamples: int = 1000,
    seed: int = SEED,
    progress: Progress | None = None,
) -> str | None:
    """Create the demo campaign, its registry and responses, and publish a release; the release id, or None when
    the database holds a campaign already (nothing is changed then)."""
    if store.list_campaigns(db, 0, 1)[1]:
        return None
    today = today or dt.date.today()
    store.create_campaign(db, CampaignCreate(
        code=DEMO_CODE,
        title_zh="演示测评活动（演示数据）",
        title_en="Demo campaign (demo data)",
        industries=list(load_industries().codes()),
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=335),
        status="open",
        is_demo=True,
    ))
    generate_wave(db, catalogue, DEMO_CODE, enterprises_per_industry=enterprises_per_industry,
                  respondents=respondents, seed=seed, received=dt.datetime.combine(today, dt.time(4), dt.UTC))
    built = build_release(db, catalogue, DEMO_CODE, resamples=resamples, seed=seed, progress=progress)
    return publish_release(db, built.run_id)


def generate_wave(
    db: Database,
    catalogue: Catalogue,
    campaign: str,
    *,
    enterprises_per_industry: int,
    respondents: int | tuple[int, int],
    seed: int,
    received: dt.datetime,
    truth: synthetic.Truth | None = None,
    test_share: float = TEST_SHARE,
) -> Wave:
    """Registry and synthetic responses for a campaign: enterprises (one outlet each) in every industry of the
    campaign, spread over the 21 cities in turn, and their respondents' answers stored as responses."""
    found = store.find_campaign(db, campaign)
    if found is None:
        raise ValueError(f"no campaign {campaign!r}")
    industries = load_industries()
    cities = load_regions().cities
    codes = [code for code in industries.codes() if code in found.industries]
    names = {industry.code: industry for industry in industries.industries}
    roster, creates, outlets = [], [], []
    for industry in codes:
        for number in range(enterprises_per_industry):
            serial = len(roster) + 1
            city = cities[(serial - 1) % len(cities)]
            roster.append(synthetic.Enterprise(id=serial, industry=industry, city=city.code))
            label = names[industry]
            creates.append(EnterpriseCreate(
                uscc=demo_uscc(serial),
                name=f"演示{label.zh}企业{number + 1:03d}（Demo {label.en} {number + 1:03d}）",
                industry=industry, city=city.code,
            ))
            outlets.append(OutletCreate(
                enterprise_id=1, name=f"{city.zh}服务网点", city=city.code, address=f"{city.zh}演示路{serial}号",
            ))
    stored = store.create_enterprises_with_outlets(db, creates, outlets)
    rng = np.random.default_rng([seed, 1])
    counts = (np.full(len(roster), respondents) if isinstance(respondents, int)
              else rng.integers(respondents[0], respondents[1] + 1, len(roster)))
    instruments = {code: catalogue.get(code).instrument for code in codes}
    blocks = industry_blocks(instruments.values())
    frame = synthetic.simulate(roster, counts, industry_items=blocks,
                               truth=truth or synthetic.default_truth(codes), seed=seed)
    frame["is_test"] = rng.random(len(frame)) < test_share
    ids = {e.id: (enterprise.id, outlet.id) for e, (enterprise, outlet) in zip(roster, stored)}
    total = insert_generated(db, response_rows(frame, instruments, found.id, ids, received=received, seed=seed))
    return Wave(campaign=campaign, enterprises=len(roster), responses=total)


def response_rows(
    frame: pd.DataFrame,
    instruments: dict[str, Instrument],
    campaign_id: int,
    ids: dict[int, tuple[int, int]],
    *,
    received: dt.datetime,
    seed: int,
) -> Iterator[dict]:
    """ResponseRow columns for each row of a synthetic wave: answers as a submission stores them (not applicable
    as null), the scale answers as bytes, context answers drawn with the seed, times in the days before `received`."""
    rng = np.random.default_rng([seed, 2])
    n = len(frame)
    uuids = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64).view(np.uint64)
    submitted = received - pd.to_timedelta(rng.integers(60, 30 * 86400, n), unit="s")
    duration = pd.to_timedelta(rng.integers(240, 900, n), unit="s")
    for industry, rows_of in frame.groupby("industry", sort=True).indices.items():
        instrument = instruments[industry]
        scale = [item.code for item in instrument.items() if isinstance(item, ScaleItem)]
        choices = {item.code: [o.code for o in item.options] for item in instrument.items()
                   if isinstance(item, ChoiceItem) and item.code != "cmp1"}
        part = frame.iloc[rows_of]
        matrix = part.reindex(columns=scale).to_numpy(dtype=np.float64)
        matrix = np.where(np.isnan(matrix), MISSING, matrix).astype(np.uint8)
        drawn = {code: np.asarray(options)[rng.integers(0, len(options), len(part))]
                 for code, options in choices.items()}
        for k, i in enumerate(rows_of):
            row = matrix[k]
            answers: dict[str, object] = {"consent": True}
            for code in choices:
                answers[code] = str(drawn[code][k])
            answers["city"] = part["city"].iat[k]
            for j, code in enumerate(scale):
                value = int(row[j])
                if code == "cmp2" and part["cmp1"].iat[k] != "yes":
                    continue
                answers[code] = None if value == MISSING else value
            answers["cmp1"] = part["cmp1"].iat[k]
            enterprise, outlet = ids[int(part["enterprise"].iat[k])]
            response_id = str(uuid.UUID(int=(int(uuids[i, 0]) << 64) | int(uuids[i, 1]), version=4))
            yield {
                "id": response_id,
                "content_sha256": hashlib.sha256(msgspec.json.encode(answers, order="sorted")).hexdigest(),
                "instrument_code": instrument.code,
                "instrument_version": instrument.version,
                "campaign_id": campaign_id,
                "enterprise_id": enterprise,
                "outlet_id": outlet,
                "city": answers["city"],
                "locale": "zh",
                "channel": "demo",
                "answers": answers,
                "item_values": matrix[k].tobytes(),
                "is_test": bool(part["is_test"].iat[k]),
                "started_at": (submitted[i] - duration[i]).to_pydatetime(),
                "submitted_at": submitted[i].to_pydatetime(),
                "received_at": submitted[i].to_pydatetime(),
            }
