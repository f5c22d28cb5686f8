"""Publication rules: which index cells a release shows, flags as imprecise, or suppresses.

Primary: a cell is published only with ``n >= min_n`` respondents and a 95% interval; a published cell whose
interval is wider than ``max_ci_width`` points is flagged "imprecise"; the rest are suppressed (reason
``"n<30"`` for the default ``min_n``, or ``"no interval"``).

Secondary: a cell's ``n`` stays published, so a suppressed cell could be recovered by subtraction from a
published total and its published siblings.  The groups are an industry's industry x city cells (total: the
industry), an industry's enterprises (total: the industry) and a city's industry x city cells (total: the city).
Whenever exactly one cell of a group is suppressed and the total is published, the smallest published sibling
(fewest respondents, then by key) is suppressed too (reason ``"secondary"``), or the total when there is no
published sibling.  Suppressing a cell can expose another group, so the rule runs until nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable

from msgspec.structs import replace

from survey.releases.cells import LEVELS, key
from survey.releases.tables import IndexCell

CLEARED = dict(index=None, se=None, ci_low=None, ci_high=None, vs_target=None, change=None, change_low=None,
               change_high=None, change_significant=None, rank_group=None)


def suppress(cell: IndexCell, reason: str) -> IndexCell:
    """The cell with its level, keys and n, but no numbers."""
    return replace(cell, status="suppressed", reason=reason, **CLEARED)


def primary(cell: IndexCell, min_n: int, max_ci_width: float) -> IndexCell:
    if cell.n < min_n:
        return suppress(cell, f"n<{min_n}")
    if cell.index is None or cell.ci_low is None or cell.ci_high is None:
        return suppress(cell, "no interval")
    if cell.ci_high - cell.ci_low > max_ci_width:
        return replace(cell, status="imprecise", reason=f"ci_width>{max_ci_width:g}")
    return replace(cell, status="published", reason=None)


def groups(cells: Iterable[IndexCell]) -> list[tuple[tuple, list[tuple]]]:
    """(total's key, its children's keys) of every group in which subtraction could recover a cell."""
    cells = list(cells)
    present = {key(c) for c in cells}
    members: dict[tuple, list[tuple]] = {}
    for cell in cells:
        industry = (LEVELS.index("industry"), cell.industry or "", -1, "")
        if cell.level == "industry_city":
            members.setdefault(("industry_city", industry), []).append(key(cell))
            members.setdefault(("industry_city", (LEVELS.index("city"), "", -1, cell.city or "")), []).append(key(cell))
        elif cell.level == "enterprise":
            members.setdefault(("enterprise", industry), []).append(key(cell))
    return [(total, sorted(children)) for (_, total), children in sorted(members.items()) if total in present]


def disclose(cells: tuple[IndexCell, ...], *, min_n: int = 30, max_ci_width: float = 10.0) -> tuple[IndexCell, ...]:
    """Apply the primary and secondary suppression rules (pure; the cells keep their order)."""
    current = {key(c): primary(c, min_n, max_ci_width) for c in cells}
    plan = groups(current.values())
    changed = True
    while changed:
        changed = False
        for total, children in plan:
            hidden = [k for k in children if current[k].status == "suppressed"]
            if len(hidden) != 1 or current[total].status == "suppressed":
                continue
            shown = sorted((current[k].n, k) for k in children if current[k].status != "suppressed")
            victim = shown[0][1] if shown else total
            current[victim] = suppress(current[victim], "secondary")
            changed = True
    return tuple(current[key(c)] for c in cells)
