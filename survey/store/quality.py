"""Quality flags in the store: raised on arrival and in a batch pass, reviewed and overridden; nothing is deleted."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from survey.errors import Conflict, NotFound
from survey.instruments.spec import Instrument, ScaleItem
from survey.quality.arrival import Earlier, Neighbours, arrival_flags, arrived_before, as_utc
from survey.quality.flags import AUTO_OVERRIDE, QualityCheck, ResponseFlag, RuleCount
from survey.quality.rules import QUALITY, Flag, Layout, QualityRuleSet, evaluate, layout
from survey.responses import MISSING
from survey.store.driver import driver_insert, one_of, postgres_insert
from survey.store.engine import Database
from survey.store.tables import CampaignRow, ResponseFlagRow, ResponseRow

APPROVE = "approve_everything"
CHUNK = 1000
_COLUMNS = (ResponseRow.id, ResponseRow.enterprise_id, ResponseRow.instrument_code, ResponseRow.instrument_version,
            ResponseRow.is_test, ResponseRow.started_at, ResponseRow.submitted_at, ResponseRow.received_at,
            ResponseRow.device_hash, ResponseRow.network_hash, ResponseRow.item_seconds)
_NAMES = ("id", "enterprise", "instrument", "version", "is_test", "started_at", "submitted_at", "received_at",
          "device", "network", "item_seconds")


@cache
def _window_counts(windows: int, dialect: str) -> Any:
    """For the networks `:hashes`, each (network, enterprise)'s count of the campaign's non-test responses received
    in each of `windows` windows (after `:since_0` ... before `:now`), built once per number of windows. The campaign
    and test conditions sit in the sums, not in WHERE: so the only index a query can use is the one on (hash,
    received) (SQLite would otherwise walk the whole campaign by its index)."""
    live = and_(ResponseRow.campaign_id == bindparam("campaign"), ResponseRow.is_test.is_(False))
    sums = [func.sum(case((and_(live, ResponseRow.received_at > bindparam(f"since_{i}")), 1), else_=0))
            for i in range(windows)]
    return (select(ResponseRow.network_hash, ResponseRow.enterprise_id, *sums)
            .where(one_of(ResponseRow.network_hash, "hashes", dialect),
                   ResponseRow.received_at > bindparam("earliest"), ResponseRow.received_at < bindparam("now"))
            .group_by(ResponseRow.network_hash, ResponseRow.enterprise_id))


_NEAR = (*_COLUMNS, ResponseRow.campaign_id, ResponseRow.is_test)


@cache
def _near_rows(dialect: str) -> tuple[Any, Any]:
    """A device's responses (a few) whenever; a network's at `now` only: each a search of its hash's index."""
    return (select(*_NEAR).where(one_of(ResponseRow.device_hash, "hashes", dialect),
                                 ResponseRow.received_at <= bindparam("now")),
            select(*_NEAR).where(one_of(ResponseRow.network_hash, "hashes", dialect),
                                 ResponseRow.received_at == bindparam("now")))


_FLAG_INSERT = ResponseFlagRow.__table__.insert()


def standing_flag() -> Any:
    """SQL: the response (ResponseRow) carries a flag that was not overridden."""
    return exists().where(ResponseFlagRow.response_id == ResponseRow.id, ResponseFlagRow.overridden.is_(False))


def _frame(rows: Sequence[Mapping[str, Any]], values: Sequence[bytes | None],
           instruments: Mapping[tuple[str, int], Instrument]) -> pd.DataFrame:
    """The rules' frame: one row per response, its scale items decoded from the stored bytes (None: left out)."""
    frame = pd.DataFrame({name: [row[name] for row in rows] for name in _NAMES})
    for name in ("started_at", "submitted_at", "received_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)  # SQLite keeps no offset: its times are UTC
    frame["is_test"] = frame["is_test"].astype(bool)
    items: dict[str, np.ndarray] = {}
    for key, positions in frame.groupby(["instrument", "version"]).indices.items():
        instrument = instruments.get(key)
        if instrument is None:
            raise NotFound(f"instrument {key[0]} version {key[1]} of stored responses")
        codes = [item.code for item in instrument.items() if isinstance(item, ScaleItem)]
        for position in positions:
            if values[position] is None or len(values[position]) != len(codes):
                continue
            row = np.frombuffer(values[position], dtype=np.uint8)
            for code, value in zip(codes, row, strict=True):
                items.setdefault(code, np.full(len(frame), np.nan))[position] = np.nan if value == MISSING else value
    return pd.concat([frame, pd.DataFrame(items, index=frame.index)], axis=1)


def _insert(session: Session, flags: Iterable[Flag], version: int, now: dt.datetime,
            known: Collection[tuple[str, str]] = ()) -> Counter:
    """Store the flags that are not stored yet (one per response and rule; `known` are stored); count the new ones."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    new = [flag for flag in flags if (flag.response, flag.rule) not in known]
    for start in range(0, len(new), CHUNK):
        session.execute(
            dialect.insert(ResponseFlagRow)
            .values([dict(response_id=flag.response, rule=flag.rule, rule_version=version, detail=flag.detail[:400],
                          overridden=False, created_at=now) for flag in new[start:start + CHUNK]])
            .on_conflict_do_nothing(index_elements=["response_id", "rule"])
        )
    return Counter(flag.rule for flag in new)


def _settle(session: Session, campaign_id: int, now: dt.datetime) -> None:
    """Approve-everything counts only beside another flag: where no other flag stands, it is overridden too."""
    other = aliased(ResponseFlagRow)
    in_campaign = select(ResponseRow.id).where(ResponseRow.campaign_id == campaign_id)
    session.execute(
        update(ResponseFlagRow)
        .where(ResponseFlagRow.rule == APPROVE, ResponseFlagRow.overridden.is_(False),
               ResponseFlagRow.response_id.in_(in_campaign),
               ~exists().where(other.response_id == ResponseFlagRow.response_id, other.rule != APPROVE,
                               other.overridden.is_(False)))
        .values(overridden=True, override_reason=AUTO_OVERRIDE, overridden_at=now)
        .execution_options(synchronize_session=False)
    )


def arrival_row(values: Mapping[str, Any]) -> dict[str, Any]:
    """The arrival rules' fields of a response row being stored (`values`: its columns), with its campaign."""
    row = dict(zip(_NAMES, [values[c.key] for c in _COLUMNS], strict=True))
    row["campaign"] = values["campaign_id"]
    return row


def flags_for(neighbours: GroupNeighbours, new: Mapping[str, Any], scale: Mapping[str, float | None],
              instrument: Instrument, campaign: Mapping[str, Any], rule_set: QualityRuleSet = QUALITY,
              own: list[Flag] | None = None) -> list[Flag]:
    """The cheap rules' flags on a response being stored (`new`: arrival_row of it; `scale`: its scale answers by
    code; `campaign`: its campaign's row; `own`: the OWN rules' flags, when the submission ran them already)."""
    if new["is_test"]:
        return []
    context = neighbours.layout(instrument, campaign)
    return arrival_flags(new, neighbours.of(new), scale, rule_set, context, own)  # the frame's rules, without the frame


def flag_rows(connection: Connection, flags: Sequence[Flag], version: int, times: Mapping[str, dt.datetime]) -> None:
    """Store new responses' flags (one statement), each created at its response's received time."""
    if flags:
        rows = [dict(response_id=flag.response, rule=flag.rule, rule_version=version, detail=flag.detail[:400],
                     overridden=False, override_reason=None, overridden_at=None, created_at=times[flag.response])
                for flag in flags]
        if connection.dialect.name == "postgresql":
            postgres_insert(connection, ResponseFlagRow.__table__, rows)
        elif not driver_insert(connection, ResponseFlagRow.__table__, rows):
            connection.execute(_FLAG_INSERT, rows)


class GroupNeighbours:
    """The arrival rules' Neighbours for a group of responses of one campaign arriving at one moment `now`.

    The stored responses' part is read once for the whole group: for each network of the group, the counts per
    enterprise in every window the rule set counts over (one statement), and the first response of each device (one
    statement); the rows received at exactly `now` (another worker's, rare) and the group's responses accepted so far
    (`add`) are counted in Python with the frame's order (received, then id). A new response asks `of(new)`.
    """

    def __init__(self, connection: Connection, campaign_id: int, now: dt.datetime, rule_set: QualityRuleSet, *,
                 networks: Collection[str], devices: Collection[str]) -> None:
        self._connection, self._campaign, self._now = connection, campaign_id, now
        dialect = connection.dialect.name
        self._window = max((rule.window_seconds for rule in rule_set.rules), default=0)
        windows = sorted({rule.window_seconds for rule in rule_set.rules
                          if rule.on_arrival and rule.name in ("duplicate_network", "velocity")})
        self._sinces = {now - dt.timedelta(seconds=w): i for i, w in enumerate(windows)}
        self._counts: dict[tuple[str, int], list[int]] = {}
        if networks and windows:
            parameters = {f"since_{i}": since for since, i in self._sinces.items()}
            for network, enterprise, *counts in connection.execute(_window_counts(len(windows), dialect), parameters | {
                    "campaign": campaign_id, "hashes": sorted(networks), "earliest": min(self._sinces), "now": now}):
                self._counts[(network, enterprise)] = [int(count or 0) for count in counts]
        self._network_counts: dict[str, list[int]] = {}  # the same, summed over the enterprises
        for (network, _), counts in self._counts.items():
            summed = self._network_counts.setdefault(network, [0] * len(counts))
            for position, count in enumerate(counts):
                summed[position] += count
        self._first: dict[tuple[str, int], dict[str, Any]] = {}
        self._at_now: list[dict[str, Any]] = []  # received at exactly `now` (another worker's group, or a fixed time)
        seen: set[str] = set()
        device_rows, network_rows = _near_rows(dialect)
        for query, hashes in ((device_rows, devices), (network_rows, networks)):
            if not hashes:
                continue
            for *row, campaign, test in connection.execute(query, {"hashes": sorted(hashes), "now": now}):
                found = dict(zip(_NAMES, row, strict=True))
                if campaign != campaign_id or test or found["id"] in seen:
                    continue
                if found["received_at"] == now or as_utc(found["received_at"]) == now:
                    seen.add(found["id"])
                    self._at_now.append(found)
                elif query is device_rows:
                    key = (found["device"], found["enterprise"])
                    earliest = self._first.get(key)
                    if earliest is None or (as_utc(found["received_at"]), found["id"]) < (
                            as_utc(earliest["received_at"]), earliest["id"]):
                        self._first[key] = found
        self._group: list[dict[str, Any]] = []  # accepted in this group, not inserted yet
        # Those of the group received at `now` (all of them, unless a caller fixed the times) are before every later
        # arrival and inside every window that has a length: counted as they are accepted, not scanned per arrival.
        self._networks: Counter = Counter()
        self._pairs: Counter = Counter()
        self._devices: dict[tuple[str, int], dict[str, Any]] = {}
        self._other: list[dict[str, Any]] = []  # the group's rows received at another moment: scanned
        self._layouts: dict[tuple[str, int], Layout] = {}

    def add(self, row: Mapping[str, Any]) -> None:
        """A response of the group accepted before the ones still to come (arrival_row of it)."""
        if row["campaign"] != self._campaign or row["is_test"]:
            return
        self._group.append(dict(row))
        if row["received_at"] != self._now:
            self._other.append(dict(row))
            return
        if row["network"] is not None:
            self._networks[row["network"]] += 1
            self._pairs[(row["network"], row["enterprise"])] += 1
        if row["device"] is not None:
            self._devices.setdefault((row["device"], row["enterprise"]), dict(row))

    def of(self, new: Mapping[str, Any]) -> Neighbours:
        return _Neighbours(self, new)

    def layout(self, instrument: Instrument, campaign: Mapping[str, Any]) -> Layout:
        """The rules' layout of the instrument in the campaign (once per group)."""
        key = (instrument.code, instrument.version)
        if key not in self._layouts:
            self._layouts[key] = layout(campaign["opens_on"], campaign["closes_on"], [instrument])
        return self._layouts[key]


class _Neighbours:
    """GroupNeighbours for one new response: the counts read for the group, the group's own counts, and a scan of
    the few rows neither holds (received at exactly `now` by another worker, or at another fixed moment)."""

    def __init__(self, group: GroupNeighbours, new: Mapping[str, Any]) -> None:
        self._group, self._new = group, new
        self._near = Earlier(new, group._at_now + group._other)

    def _alone(self) -> _Stored:
        """The questions the group's reads do not answer, asked of the database for this response alone."""
        return _Stored(self._group._connection, self._group._campaign, self._new, self._group._window)

    def count(self, keys: tuple[str, ...], since: dt.datetime) -> int:
        group, new = self._group, self._new
        position = group._sinces.get(since)
        if position is None or keys not in (("network", "enterprise"), ("network",)) or new["received_at"] != group._now:
            return self._alone().count(keys, since) + Earlier(new, group._group).count(keys, since)
        if keys == ("network", "enterprise"):
            stored = group._counts.get((new["network"], new["enterprise"]), [0] * len(group._sinces))[position]
            own = group._pairs[(new["network"], new["enterprise"])]
        else:
            stored = group._network_counts.get(new["network"], [0] * len(group._sinces))[position]
            own = group._networks[new["network"]]
        return stored + (own if group._now > since else 0) + self._near.count(keys, since)

    def first_same_device(self) -> Mapping[str, Any] | None:
        key = (self._new["device"], self._new["enterprise"])
        found = [row for row in (self._group._first.get(key), self._group._devices.get(key),
                                 self._near.first_same_device()) if row is not None]
        return min(found, key=lambda row: (as_utc(row["received_at"]), str(row["id"])), default=None)

    def durations(self) -> list[float]:
        """As _Stored.durations answers them, the group's rows (not stored yet) included."""
        new, window = self._new, self._group._window
        start = as_utc(new["received_at"]) - dt.timedelta(seconds=window)
        return self._alone().durations() + [
            (as_utc(row["submitted_at"]) - as_utc(row["started_at"])).total_seconds()
            for row in self._group._group
            if arrived_before(row, new) and (
                (new["device"] and row["device"] == new["device"] and row["enterprise"] == new["enterprise"])
                or (new["network"] and row["network"] == new["network"] and as_utc(row["received_at"]) >= start))
        ]


class _Stored:
    """The arrival rules' Neighbours, asked of the database: the campaign's non-test responses that arrived before
    `new` (received earlier, or at the same moment with a smaller id, as the frame orders them)."""

    _KEYS = {"network": ResponseRow.network_hash, "enterprise": ResponseRow.enterprise_id}

    def __init__(self, session: Session, campaign_id: int, new: Mapping[str, Any], window_seconds: int) -> None:
        self._session, self._new, self._window = session, new, window_seconds
        received, key = new["received_at"], new["id"]
        self._before = and_(
            ResponseRow.campaign_id == campaign_id, ResponseRow.is_test.is_(False), ResponseRow.id != key,
            or_(ResponseRow.received_at < received, and_(ResponseRow.received_at == received, ResponseRow.id < key)))

    def count(self, keys: tuple[str, ...], since: dt.datetime) -> int:
        same = [self._KEYS[key] == self._new[key] for key in keys]
        return self._session.scalar(select(func.count()).select_from(ResponseRow).where(
            self._before, ResponseRow.received_at > since, *same)) or 0

    def first_same_device(self) -> Mapping[str, Any] | None:
        row = self._session.execute(select(*_COLUMNS).where(
            self._before, ResponseRow.device_hash == self._new["device"],
            ResponseRow.enterprise_id == self._new["enterprise"],
        ).order_by(ResponseRow.received_at, ResponseRow.id).limit(1)).first()
        return None if row is None else dict(zip(_NAMES, row, strict=True))

    def durations(self) -> list[float]:
        """Those at hand: from the same device for the enterprise, or the same network within the longest window
        (a rule set that runs the speeder rule on arrival gets their median; the standard set runs it in the batch)."""
        near = []
        if self._new["device"]:
            near.append(and_(ResponseRow.device_hash == self._new["device"],
                             ResponseRow.enterprise_id == self._new["enterprise"]))
        if self._new["network"]:
            near.append(and_(ResponseRow.network_hash == self._new["network"], ResponseRow.received_at
                             >= self._new["received_at"] - dt.timedelta(seconds=self._window)))
        if not near:
            return []
        found = self._session.execute(select(ResponseRow.started_at, ResponseRow.submitted_at).where(
            self._before, or_(*near))).all()
        return [(submitted - started).total_seconds() for started, submitted in found]  # both UTC, or both naive UTC


def check_campaign(
    db: Database,
    campaign: str,
    instruments: Mapping[tuple[str, int], Instrument],
    *,
    rule_set: QualityRuleSet = QUALITY,
    now: dt.datetime | None = None,
) -> QualityCheck:
    """The batch pass: every rule over every response of the campaign; new flags are added, none removed."""
    now = now or dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        row = session.scalar(select(CampaignRow).where(CampaignRow.code == campaign))
        if row is None:
            raise NotFound(f"campaign {campaign!r}")
        found = session.execute(select(*_COLUMNS, ResponseRow.item_values)
                                .where(ResponseRow.campaign_id == row.id).order_by(ResponseRow.id)).all()
        stored = session.execute(
            select(ResponseFlagRow.response_id, ResponseFlagRow.rule, ResponseFlagRow.overridden)
            .join(ResponseRow).where(ResponseRow.campaign_id == row.id)).all()
        added: Counter = Counter()
        if found:
            frame = _frame([dict(zip(_NAMES, r[:-1], strict=True)) for r in found], [r[-1] for r in found],
                           instruments)
            used = [instruments[key] for key in sorted(set(zip(frame["instrument"], frame["version"])))]
            context = layout(row.opens_on, row.closes_on, used)
            standing = {r for r, rule, overridden in stored if not overridden and rule != APPROVE}
            cleared = {(r, rule) for r, rule, overridden in stored if overridden}
            flags = evaluate(frame, rule_set, context, standing=standing, cleared=cleared)
            added = _insert(session, flags, rule_set.version, now, known={(r, rule) for r, rule, _ in stored})
        _settle(session, row.id, now)
        counts = _counts(session, row.id)
        flagged = session.scalar(select(func.count()).select_from(ResponseRow)
                                 .where(ResponseRow.campaign_id == row.id, standing_flag())) or 0
    return QualityCheck(campaign=campaign, rule_set=rule_set.label, responses=len(found),
                        added={rule.name: added.get(rule.name, 0) for rule in rule_set.rules}, rules=counts,
                        flagged_responses=flagged)


def _counts(session: Session, campaign_id: int) -> list[RuleCount]:
    rows = session.execute(
        select(ResponseFlagRow.rule, ResponseFlagRow.overridden, func.count())
        .join(ResponseRow).where(ResponseRow.campaign_id == campaign_id)
        .group_by(ResponseFlagRow.rule, ResponseFlagRow.overridden)).all()
    totals: dict[str, list[int]] = {}
    for rule, overridden, count in rows:
        totals.setdefault(rule, [0, 0])[1 if overridden else 0] += count
    order = {rule.name: i for i, rule in enumerate(QUALITY.rules)}
    return [RuleCount(rule=rule, standing=s, overridden=o)
            for rule, (s, o) in sorted(totals.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]


def rule_counts(db: Database, campaign: str) -> list[RuleCount]:
    with db.read() as session:
        return _counts(session, _campaign_id(session, campaign))


def _campaign_id(session: Session, campaign: str) -> int:
    found = session.scalar(select(CampaignRow.id).where(CampaignRow.code == campaign))
    if found is None:
        raise NotFound(f"campaign {campaign!r}")
    return found


def _flag(row: ResponseFlagRow, enterprise: int) -> ResponseFlag:
    return ResponseFlag(
        response=row.response_id, enterprise=enterprise, rule=row.rule, rule_version=row.rule_version,
        detail=row.detail, standing=not row.overridden, override_reason=row.override_reason,
        overridden_at=_aware(row.overridden_at), created_at=_aware(row.created_at),
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def list_flags(
    db: Database, campaign: str, *, rule: str | None = None, standing: bool | None = None, response: str | None = None,
    offset: int = 0, limit: int = 50,
) -> tuple[list[ResponseFlag], int]:
    """A page of a campaign's flags (oldest first), with the total that match."""
    with db.read() as session:
        conditions = [ResponseRow.campaign_id == _campaign_id(session, campaign)]
        if rule is not None:
            conditions.append(ResponseFlagRow.rule == rule)
        if standing is not None:
            conditions.append(ResponseFlagRow.overridden.is_(not standing))
        if response is not None:
            conditions.append(ResponseFlagRow.response_id == response)
        base = select(ResponseFlagRow, ResponseRow.enterprise_id).join(ResponseRow).where(*conditions)
        total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
        rows = session.execute(base.order_by(ResponseFlagRow.created_at, ResponseFlagRow.response_id,
                                             ResponseFlagRow.rule).offset(offset).limit(limit)).all()
        return [_flag(row, enterprise) for row, enterprise in rows], total


def flags_of(db: Database, response_id: str) -> list[ResponseFlag]:
    with db.read() as session:
        rows = session.execute(select(ResponseFlagRow, ResponseRow.enterprise_id).join(ResponseRow)
                               .where(ResponseFlagRow.response_id == response_id)
                               .order_by(ResponseFlagRow.rule)).all()
        return [_flag(row, enterprise) for row, enterprise in rows]


def override_flag(db: Database, response_id: str, rule: str, reason: str, *, now: dt.datetime | None = None) -> ResponseFlag:
    """An administrator's decision that a flag does not hold: it stays stored, with the reason, and no longer excludes.

    Overriding again with the same reason answers the same; with another reason it is a Conflict.
    """
    now = now or dt.datetime.now(dt.UTC)
    with db.transaction() as session:
        found = session.execute(select(ResponseFlagRow, ResponseRow.enterprise_id, ResponseRow.campaign_id)
                                .join(ResponseRow)
                                .where(ResponseFlagRow.response_id == response_id, ResponseFlagRow.rule == rule)
                                .with_for_update(of=ResponseFlagRow)).first()
        if found is None:
            raise NotFound(f"flag {rule} on response {response_id}")
        row, enterprise, campaign_id = found
        if row.overridden:
            if row.override_reason != reason:
                raise Conflict(f"flag {rule} on response {response_id} was overridden already: {row.override_reason}")
            return _flag(row, enterprise)
        row.overridden, row.override_reason, row.overridden_at = True, reason, now
        session.flush()
        _settle(session, campaign_id, now)
        return _flag(row, enterprise)
