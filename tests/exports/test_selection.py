import datetime as dt

import msgspec
import pytest

from survey.errors import InvalidInput
from survey.exports.selection import ExportFilter, check_filter, exported_instruments
from survey.instruments.catalogue import load_catalogue
from survey.regions import load_regions
from survey.registry import Campaign

CAMPAIGN = Campaign(id=1, code="wave-x", title_zh="期", title_en="wave", industries=["e_commerce", "automobile"],
                    opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 12, 31), status="open", is_demo=False)


def test_the_instruments_of_the_selected_industries_in_the_campaigns_order():
    catalogue = load_catalogue()
    every = exported_instruments(catalogue, CAMPAIGN, ExportFilter())
    assert [(i.code, i.version) for i in every] == [("e_commerce", 1), ("automobile", 1)]
    chosen = exported_instruments(catalogue, CAMPAIGN, ExportFilter(industries=("automobile",)))
    assert [i.code for i in chosen] == ["automobile"]


def test_an_industry_outside_the_campaign_and_an_unknown_city_are_named():
    with pytest.raises(InvalidInput) as refused:
        check_filter(ExportFilter(industries=("computer",), cities=("440100", "999999")), CAMPAIGN,
                     load_regions().codes())
    assert [(e.field, e.reason) for e in refused.value.errors] == [
        ("industry", "campaign wave-x does not cover 'computer' (it covers e_commerce, automobile)"),
        ("city", "unknown city '999999'"),
    ]
    check_filter(ExportFilter(industries=("automobile",), cities=("440100",)), CAMPAIGN, load_regions().codes())


@pytest.mark.parametrize("given", [{"flags": "some"}, {"cities": ["4401"]}, {"enterprises": [0]},
                                   {"industries": ["Auto"]}])
def test_the_filter_types_hold_the_rules(given):
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(given, ExportFilter)
