"""The audit table of a release: approved on-site audits summarised per enterprise, industry and the programme.

Pure: the approved audits in, sorted AuditCells and the snapshot that pins them out. An approved audit is final (it
can be neither edited nor reviewed again), so the same approved audits always give the same bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from fractions import Fraction

from msgspec import Struct

from survey.audits.score import LEVELS, level_of
from survey.releases.tables import AuditCell, round_published

LEVEL_NAMES = ("not_compliant", *(name for _, name in reversed(LEVELS)))


class ApprovedAudit(Struct, frozen=True, kw_only=True):
    id: str
    version: int
    score: float
    outlet: int
    enterprise: int
    enterprise_name: str
    industry: str


class AuditSnapshotRef(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    sha256: str  # over "id version score" lines of the approved audits, sorted by id
    approved: int


def audit_snapshot(audits: Sequence[ApprovedAudit]) -> AuditSnapshotRef | None:
    """What pins the approved audits a release was built from (None when there are none)."""
    if not audits:
        return None
    lines = sorted(f"{a.id} {a.version} {a.score!r}" for a in audits)
    return AuditSnapshotRef(sha256=hashlib.sha256("\n".join(lines).encode()).hexdigest(), approved=len(audits))


def audit_cells(audits: Sequence[ApprovedAudit]) -> tuple[AuditCell, ...]:
    """The programme, each industry and each enterprise: the count, mean, range and levels of the audit scores."""
    if not audits:
        return ()
    cells = [_cell("programme", audits)]
    for industry in sorted({a.industry for a in audits}):
        cells.append(_cell("industry", [a for a in audits if a.industry == industry], industry=industry))
    for enterprise in sorted({a.enterprise for a in audits}):
        group = [a for a in audits if a.enterprise == enterprise]
        cells.append(_cell("enterprise", group, industry=group[0].industry, enterprise=enterprise,
                           enterprise_name=group[0].enterprise_name))
    return tuple(cells)


def _cell(level: str, audits: Sequence[ApprovedAudit], **keys) -> AuditCell:
    scores = [Fraction(str(a.score)) for a in audits]  # exact decimal scores: the mean does not depend on order
    mean = sum(scores) / len(scores)
    levels = {name: 0 for name in LEVEL_NAMES}
    for score in scores:
        levels[level_of(score)] += 1
    return AuditCell(
        level=level, audits=len(audits), outlets=len({a.outlet for a in audits}),
        mean_score=round_published(float(mean)), min_score=round_published(float(min(scores))),
        max_score=round_published(float(max(scores))), star_level=level_of(mean), levels=levels, **keys,
    )
