"""What a release publishes: every table as msgspec Structs (the contract between computation, store and pages).

All numbers are plain floats rounded by `round_published` before they are stored, so that canonical JSON of the
tables is identical on every rebuild. A suppressed cell keeps its level and keys but no numbers.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

Level = Literal["programme", "industry", "enterprise", "city", "industry_city"]
Status = Literal["published", "imprecise", "suppressed"]
Versus = Literal["above", "below", "not_significant"]
DECIMALS = 6  # every published number is rounded to this many decimals


class IndexCell(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One 0-100 satisfaction index cell: the programme, an industry, an enterprise, a city or an industry x city."""

    level: Level
    industry: str | None = None  # industry code
    enterprise: int | None = None  # enterprise id
    enterprise_name: str | None = None
    city: str | None = None  # GB/T 2260 code
    n: int  # respondents behind the cell (after exclusions)
    index: float | None  # None when suppressed
    se: float | None
    ci_low: float | None  # 95% bootstrap interval (percentile or BCa, see Methods.interval)
    ci_high: float | None
    status: Status
    reason: str | None = None  # why suppressed or imprecise: "n<30", "secondary", "ci_width>10"
    vs_target: Versus | None = None  # against Methods.target, from the interval
    change: float | None = None  # against the previous release of the series, same cell
    change_low: float | None = None
    change_high: float | None = None
    change_significant: bool | None = None
    rank_group: int | None = None  # enterprises only: 1 = top group; equal groups cannot be told apart


class DriverRow(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Importance-performance of one driver construct in one industry, and the rise that alone reaches the target."""

    industry: str
    construct: str
    importance: float  # unstandardized total effect on the index construct
    performance: float  # 0-100
    rise_needed: float | None  # points of performance; None when the index is already at the target
    reachable: bool  # False when the rise would need performance above 100


class ItemDriverRow(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    industry: str
    construct: str
    item: str
    importance: float
    performance: float


class QualityRow(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Measurement quality of one construct in one industry's fitted model."""

    industry: str
    construct: str
    cronbach_alpha: float
    rho_c: float
    rho_a: float
    ave: float
    r_squared: float | None  # None for exogenous constructs


class PathRow(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    industry: str
    source: str
    target: str
    estimate: float
    ci_low: float
    ci_high: float


class SampleRow(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How many responses one industry had, how many each exclusion rule removed, and how many were scored."""

    industry: str
    received: int
    excluded: dict[str, int]  # rule name -> responses it excluded (a response counts under its first rule)
    scored: int
    enterprises: int
    iterations: int
    converged: bool


class Methods(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    model_id: str
    target: float
    resamples: int
    seed: int
    interval: Literal["percentile", "bca"]
    cluster: str  # "enterprise"
    min_n: int  # primary suppression threshold
    max_ci_width: float  # wider intervals are published but flagged imprecise
    programme_weighting: str  # how industries are combined into the programme index, in words
    exclusion_rules: str  # rule set name and version, e.g. "standard-v1"
    weights: str  # "equal" or a description of the raking margins


class AuditCell(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """On-site audit results (GB/T 27922 scores of approved audits) of the programme, an industry or an enterprise."""

    level: Literal["programme", "industry", "enterprise"]
    industry: str | None = None
    enterprise: int | None = None
    enterprise_name: str | None = None
    audits: int  # approved audits
    outlets: int  # outlets they cover
    mean_score: float  # 0-100, the mean of the audits' scores
    min_score: float
    max_score: float
    star_level: str  # of the mean: not_compliant, compliant (70), three_stars (80), four_stars (90), five_stars (95)
    levels: dict[str, int]  # approved audits per level of their own score


class ReleaseTables(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything a release publishes."""

    campaign: str
    campaign_title_zh: str
    campaign_title_en: str
    is_demo: bool
    methods: Methods
    cells: tuple[IndexCell, ...]
    drivers: tuple[DriverRow, ...]
    item_drivers: tuple[ItemDriverRow, ...]
    quality: tuple[QualityRow, ...]
    paths: tuple[PathRow, ...]
    sample: tuple[SampleRow, ...]
    audits: tuple[AuditCell, ...] = ()  # a file of its own only when the campaign has approved audits


def round_published(value: float | None) -> float | None:
    """The published form of a number: rounded to DECIMALS, with -0.0 as 0.0."""
    if value is None:
        return None
    rounded = round(float(value), DECIMALS)
    return 0.0 if rounded == 0 else rounded


class ReleaseEntry(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One line of the public list of releases."""

    id: str  # the release's manifest hash (sha256 hex)
    campaign: str
    title_zh: str
    title_en: str
    published_at: str  # ISO 8601, UTC
    status: Literal["current", "superseded"]
    is_demo: bool
    programme_index: float | None
    ci_low: float | None
    ci_high: float | None
