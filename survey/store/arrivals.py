"""Submissions stored a group at a time: each question the group asks of the database is asked once for all of it.

A submission is first checked as far as it can be without the database, in the request's own thread (`Arrival`:
its answers against the instrument, its city and times, its content hash). The group writer (survey/store/writer.py)
then hands the arrivals waiting together to `store_arrivals`, in one transaction, which asks in one statement each:
the rate-limit counters of every client network in the group, which ids are stored already, the campaigns,
enterprises, outlets, invitations and quotas named, and the counts the arrival quality rules need. It decides each
arrival in id order (the order the quality rules give responses received at the same moment), as if they had come
one by one: an arrival sees the ones accepted before it in the group as stored. Then one insert stores the accepted
responses and one their flags. Each arrival is answered with its stored response (and whether it is new) or with
the rule error that refuses it; nothing of a refused arrival is stored, except its hit on the rate limit.

Every arrival of a group gets the group's time as its received time, unless the caller fixed one (`now`).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, delete, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from survey.errors import Conflict, FieldError, InvalidInput, InvitationUsed, QuotaFull, RateLimited
from survey.instruments.check import check_answers
from survey.instruments.spec import Instrument
from survey.invitations.spec import token_sha256
from survey.quality.origin import Origin
from survey.quality.arrival import own_flags
from survey.quality.rules import QUALITY, Flag, QualityRuleSet, layout
from survey.responses import MISSING, Response, ResponseSubmit, china_day, content_sha256, encode_item_values
from survey.store.driver import driver_insert, one_of, postgres_insert
from survey.store.limits import SWEEP_ONE_IN, RateLimit
from survey.store.quality import GroupNeighbours, arrival_row, flag_rows, flags_for
from survey.store.quotas import full_message, valid_count
from survey.store.tables import (
    CampaignRow, EnterpriseRow, InvitationRow, OutletRow, QuotaRow, RateCountRow, ResponseRow,
)

FUTURE_SLACK = dt.timedelta(minutes=10)  # client clocks run a little fast
RESPONSES = ResponseRow.__table__
CAMPAIGNS = CampaignRow.__table__
QUOTAS = QuotaRow.__table__
INVITATIONS = InvitationRow.__table__
RATE_COUNTS = RateCountRow.__table__


class _Reads(NamedTuple):
    """The group's reads, each of the rows named by the list parameter `ids`."""

    digests: Select
    campaigns: Select
    enterprises: Select
    outlets: Select
    quotas: Select  # locked on PostgreSQL: two workers' groups cannot both take a cell's last place
    invitations: Select  # locked on PostgreSQL too


@cache
def _reads(dialect: str) -> _Reads:
    """Built once per dialect: building a statement and its cache key for each group cost more than running it;
    their text does not change with the lists' length (one_of)."""
    locked = (lambda query: query.with_for_update()) if dialect == "postgresql" else (lambda query: query)
    return _Reads(
        digests=select(RESPONSES.c.id, RESPONSES.c.content_sha256).where(one_of(RESPONSES.c.id, "ids", dialect)),
        campaigns=select(CAMPAIGNS).where(one_of(CAMPAIGNS.c.code, "ids", dialect)),
        enterprises=select(EnterpriseRow.id, EnterpriseRow.industry).where(one_of(EnterpriseRow.id, "ids", dialect)),
        outlets=select(OutletRow.id, OutletRow.enterprise_id).where(one_of(OutletRow.id, "ids", dialect)),
        quotas=locked(select(QUOTAS).where(one_of(QUOTAS.c.campaign_id, "ids", dialect)).order_by(QUOTAS.c.id)),
        invitations=locked(select(INVITATIONS).where(one_of(INVITATIONS.c.token_sha256, "ids", dialect))
                           .order_by(INVITATIONS.c.token_sha256)),
    )


class Arrival:
    """A submission checked without the database, waiting for its group: what the checks found so far."""

    __slots__ = ("submit", "instrument", "digest", "answers", "answer_errors", "later_errors", "item_errors",
                 "channel", "now", "origin", "limit", "key", "item_values", "scale", "rule_set", "own")

    def __init__(self, submit: ResponseSubmit, instrument: Instrument | None, *, cities: Collection[str],
                 channel: str, now: dt.datetime | None, origin: Origin, limit: RateLimit | None,
                 rule_set: QualityRuleSet = QUALITY) -> None:
        self.submit, self.instrument, self.channel, self.now, self.origin, self.limit = (
            submit, instrument, channel, now, origin, limit)
        self.key = str(submit.id)
        self.digest = content_sha256(submit)
        # What the group write would otherwise work out under the write lock: the stored item values, the scale
        # answers the quality rules read, and the flags of the rules that read this response alone (OWN).
        self.item_values: bytes = b""
        self.scale: dict[str, float | None] = {}
        self.rule_set, self.own = rule_set, None
        self.answers: dict = {}
        self.answer_errors: list[FieldError] = []
        self.later_errors: list[FieldError] = []  # reported after the registry's, in the order they always were
        self.item_errors: list[FieldError] = []
        if instrument is None:
            self.answer_errors.append(FieldError(
                field="version", reason=f"no instrument {submit.instrument!r} version {submit.version}"))
            return
        self.answers, self.answer_errors = check_answers(instrument, submit.answers, cities)
        if submit.city not in cities:
            self.later_errors.append(FieldError(field="city", reason=f"unknown city {submit.city}"))
        for code, value in self.answers.items():
            if code == "city" and value != submit.city:
                self.later_errors.append(FieldError(
                    field="answers.city", reason=f"{value} differs from the response's city {submit.city}"))
        if submit.started_at > submit.submitted_at:
            self.later_errors.append(FieldError(field="started_at", reason="must not be after submitted_at"))
        if submit.item_seconds:
            codes = {item.code for item in instrument.items()}
            self.item_errors = [FieldError(field=f"item_seconds.{code}", reason=f"not an item of {instrument.code}")
                                for code in submit.item_seconds if code not in codes]
        if self.answer_errors or self.later_errors or self.item_errors:
            return  # refused whatever the database says
        self.item_values = encode_item_values(instrument, self.answers)
        self.scale = {code: None if byte == MISSING else float(byte)
                      for code, byte in zip(instrument.scale_codes(), self.item_values, strict=True)}
        if not submit.test:
            new = {"id": self.key, "instrument": submit.instrument, "is_test": False, "started_at": submit.started_at,
                   "submitted_at": submit.submitted_at, "item_seconds": submit.item_seconds}
            self.own = own_flags(new, self.scale, rule_set,
                                 layout(dt.date.min, dt.date.max, [instrument]))  # the OWN rules read no dates


def store_arrivals(session: Session, arrivals: Sequence[Arrival], rule_set: QualityRuleSet = QUALITY) -> list[object]:
    """Each arrival's outcome, in order: (its stored Response, True when stored now), or the error refusing it."""
    connection = session.connection()
    group_now = dt.datetime.now(dt.UTC)
    nows = [_utc(arrival.now) if arrival.now else group_now for arrival in arrivals]
    outcomes: list[object] = [None] * len(arrivals)
    for position, refusal in _take_limits(connection, arrivals, nows).items():
        outcomes[position] = refusal
    live = sorted((p for p in range(len(arrivals)) if outcomes[p] is None),
                  key=lambda p: (nows[p], arrivals[p].key, p))
    if not live:
        return outcomes
    facts = _Facts(connection, [arrivals[p] for p in live], rule_set)
    accepted: dict[str, int] = {}  # id -> position, of those stored in this group
    rows: list[dict[str, Any]] = []
    flags: dict[str, list[Flag]] = {}
    for position in live:
        arrival, now = arrivals[position], nows[position]
        key = arrival.key
        if key in facts.stored or key in accepted:
            digest = facts.stored[key] if key in facts.stored else arrivals[accepted[key]].digest
            outcomes[position] = (Conflict(f"response {key} was already submitted with different content")
                                  if digest != arrival.digest else _Again(key))
            continue
        try:
            campaign = facts.admit(arrival, now)
        except (InvalidInput, Conflict) as refusal:
            outcomes[position] = refusal
            continue
        values = _values(arrival, campaign, now)
        row = arrival_row(values)
        found = flags_for(facts.neighbours(campaign, now), row, arrival.scale, arrival.instrument, campaign, rule_set,
                          arrival.own if arrival.rule_set is rule_set else None)
        facts.accept(arrival, campaign, row, valid=not found and not arrival.submit.test)
        accepted[key] = position
        rows.append(values)
        flags[key] = found
        outcomes[position] = (_response(values, campaign["code"]), True)
    stored = _insert(connection, rows)
    lost = [row["id"] for row in rows if row["id"] not in stored]  # a concurrent request stored the id first
    if lost:
        digests = _digests(connection, lost)
        for key in lost:
            position = accepted[key]
            outcomes[position] = (Conflict(f"response {key} was already submitted with different content")
                                  if digests.get(key) != arrivals[position].digest else _Again(key))
    _claim(connection, [(arrivals[accepted[key]].submit.invitation, key, nows[accepted[key]])
                        for key in stored if arrivals[accepted[key]].submit.invitation is not None])
    flag_rows(connection, [flag for key in stored for flag in flags[key]], rule_set.version,
              {key: nows[accepted[key]] for key in stored})
    again = [o.key for o in outcomes if isinstance(o, _Again)]
    if again:
        read = _read(connection, again)
        outcomes = [(read[o.key], False) if isinstance(o, _Again) else o for o in outcomes]
    return outcomes


class _Again:
    """An arrival whose id is stored with the same content: answered with the stored response."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


# PostgreSQL: the group's counters as arrays, one statement whose text does not change with their number (as
# one_of's); SQLAlchemy's executemany would send a VALUES tuple per counter, a new text for each group size.
_POSTGRES_HITS = text(
    "INSERT INTO rate_count (key, window_start, hits) "
    "SELECT * FROM unnest(CAST(:keys AS VARCHAR(100)[]), CAST(:starts AS INTEGER[]), CAST(:hits AS INTEGER[])) "
    "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_count.hits + excluded.hits "
    "RETURNING key, window_start, hits")


@cache
def _sqlite_hits() -> Any:
    """SQLite's rate-limit upsert: add a group's hits to each (key, window) counter and return the totals."""
    insert = sqlite.insert(RATE_COUNTS)
    return (insert.on_conflict_do_update(index_elements=["key", "window_start"],
                                         set_={"hits": RATE_COUNTS.c.hits + insert.excluded.hits})
            .returning(RATE_COUNTS.c.key, RATE_COUNTS.c.window_start, RATE_COUNTS.c.hits))


@cache
def _sqlite_insert_new() -> Any:
    """SQLite's responses' insert when the driver's found a stored id: that id is skipped, the ids stored returned."""
    return sqlite.insert(RESPONSES).on_conflict_do_nothing().returning(RESPONSES.c.id)


def _take_limits(connection: Connection, arrivals: Sequence[Arrival], nows: Sequence[dt.datetime]) -> dict[int, RateLimited]:
    """Count every arrival against its rate limit, one upsert for the group; the arrivals beyond a limit (in the
    order they came), refused."""
    hits: dict[tuple[str, int], list[int]] = defaultdict(list)
    for position, arrival in enumerate(arrivals):
        if arrival.limit is not None:
            now = int(nows[position].timestamp())
            hits[(arrival.limit.key[:100], now - now % arrival.limit.window_s)].append(position)
    if not hits:
        return {}
    ordered = sorted(hits.items())  # one order: no deadlock between workers
    if connection.dialect.name == "postgresql":
        counted = {(key, start): total for key, start, total in connection.execute(_POSTGRES_HITS, {
            "keys": [key for (key, _), _ in ordered], "starts": [start for (_, start), _ in ordered],
            "hits": [len(positions) for _, positions in ordered]})}
    else:
        counted = {(key, start): total for key, start, total in connection.execute(
            _sqlite_hits(),
            [dict(key=key, window_start=start, hits=len(positions)) for (key, start), positions in ordered])}
    if random.randrange(SWEEP_ONE_IN) == 0:
        oldest = min(start for _, start in hits) - 86_400
        connection.execute(delete(RateCountRow).where(RateCountRow.window_start < oldest))
    refused: dict[int, RateLimited] = {}
    for (key, start), positions in hits.items():
        limit = arrivals[positions[0]].limit
        before = counted[(key, start)] - len(positions)  # hits of this window before this group's
        for position in positions[max(0, limit.hits - before):]:
            now = int(nows[position].timestamp())
            refused[position] = RateLimited(key.split(":", 1)[0], retry_after=max(1, start + limit.window_s - now))
    return refused


class _Facts:
    """What the group's arrivals name, read at once: stored ids, campaigns, enterprises, outlets, invitations and
    quotas; and, as arrivals are accepted, what they change of it (claimed tokens, quota counts, neighbours)."""

    def __init__(self, connection: Connection, arrivals: Sequence[Arrival], rule_set: QualityRuleSet) -> None:
        self.connection, self.rule_set = connection, rule_set
        reads = _reads(connection.dialect.name)
        self.stored = _digests(connection, [a.key for a in arrivals])
        codes = {a.submit.campaign for a in arrivals}
        self.campaigns = {row["code"]: row for row in connection.execute(
            reads.campaigns, {"ids": sorted(codes)}).mappings()}
        self.enterprises = dict(connection.execute(
            reads.enterprises, {"ids": sorted({a.submit.enterprise for a in arrivals})}).all())
        outlets = {a.submit.outlet for a in arrivals if a.submit.outlet is not None}
        self.outlets = dict(connection.execute(reads.outlets, {"ids": sorted(outlets)}).all()) if outlets else {}
        tokens = {token_sha256(a.submit.invitation) for a in arrivals if a.submit.invitation is not None}
        self.invitations = {row["token_sha256"]: dict(row) for row in connection.execute(
            reads.invitations, {"ids": sorted(tokens)}).mappings()} if tokens else {}
        # The quotas of every campaign named (locked on PostgreSQL; SQLite has one writer anyway). Each quota's
        # count of valid responses is read when first needed.
        ids = sorted(row["id"] for row in self.campaigns.values())
        self.quotas: dict[int, list[dict]] = defaultdict(list)
        for row in connection.execute(reads.quotas, {"ids": ids}).mappings():
            self.quotas[row["campaign_id"]].append(dict(row))
        self.valid: dict[int, int] = {}
        self._neighbours: dict[tuple[int, dt.datetime], GroupNeighbours] = {}
        self._group = [a for a in arrivals if not a.submit.test]
        self._accepted: list[dict[str, Any]] = []  # arrival_row of each accepted, for neighbours made later

    def admit(self, arrival: Arrival, now: dt.datetime) -> Mapping[str, Any]:
        """The arrival's campaign row, or the error that refuses the arrival (InvalidInput, InvitationUsed,
        QuotaFull), as the one-by-one checks always reported them."""
        submit, instrument = arrival.submit, arrival.instrument
        errors = list(arrival.answer_errors)
        campaign = self.campaigns.get(submit.campaign)
        if instrument is not None:
            errors += self._registry_errors(arrival, campaign, now)
            errors += arrival.later_errors
            if submit.submitted_at > now + FUTURE_SLACK:
                errors.append(FieldError(field="submitted_at", reason="is in the future"))
        if submit.invitation is not None:
            errors += self._invitation_errors(submit, campaign)
        elif campaign is not None and not campaign["open_links"]:
            errors.append(FieldError(field="invitation", reason=f"campaign {campaign['code']} takes responses by "
                                     "invitation only"))
        errors += arrival.item_errors
        if errors:
            raise InvalidInput(errors)
        if submit.invitation is not None:
            holder = self.invitations[token_sha256(submit.invitation)]["response_id"]
            if holder is not None and holder != arrival.key:
                raise InvitationUsed("this invitation was used already: it accepts one completed response")
        elif not submit.test:
            self._check_quota(campaign, instrument.industry, submit.city, submit.enterprise)
        return campaign

    def _registry_errors(self, arrival: Arrival, campaign: Mapping[str, Any] | None,
                         now: dt.datetime) -> list[FieldError]:
        submit, industry = arrival.submit, arrival.instrument.industry
        errors = []
        if campaign is None:
            errors.append(FieldError(field="campaign", reason=f"no campaign {submit.campaign!r}"))
        else:
            day = china_day(now)
            if campaign["status"] != "open" or not campaign["opens_on"] <= day <= campaign["closes_on"]:
                errors.append(FieldError(
                    field="campaign",
                    reason=f"campaign {campaign['code']} is not open (status {campaign['status']}, "
                    f"{campaign['opens_on']} to {campaign['closes_on']}, today {day})",
                ))
            if industry not in campaign["industries"]:
                errors.append(FieldError(field="instrument",
                                         reason=f"campaign {campaign['code']} does not cover {industry}"))
        found = self.enterprises.get(submit.enterprise)
        if found is None:
            errors.append(FieldError(field="enterprise", reason=f"no enterprise {submit.enterprise}"))
        elif found != industry:
            errors.append(FieldError(field="enterprise",
                                     reason=f"enterprise {submit.enterprise} is in {found}, not {industry}"))
        if submit.outlet is not None and self.outlets.get(submit.outlet) != submit.enterprise:
            errors.append(FieldError(field="outlet", reason=f"no outlet {submit.outlet} of enterprise {submit.enterprise}"))
        return errors

    def _invitation_errors(self, submit: ResponseSubmit, campaign: Mapping[str, Any] | None) -> list[FieldError]:
        row = self.invitations.get(token_sha256(submit.invitation))
        if row is None:
            return [FieldError(field="invitation", reason="no invitation with this token")]
        if row["campaign_id"] != (campaign["id"] if campaign else None) or row["enterprise_id"] != submit.enterprise or (
            row["outlet_id"] is not None and row["outlet_id"] != submit.outlet
        ):
            code = self.connection.scalar(select(CampaignRow.code).where(CampaignRow.id == row["campaign_id"]))
            where = f"campaign {code}, enterprise {row['enterprise_id']}" + (
                f", outlet {row['outlet_id']}" if row["outlet_id"] is not None else "")
            return [FieldError(field="invitation", reason=f"this invitation is for {where}, not what the response names")]
        return []

    def _covering(self, campaign_id: int, industry: str, city: str, enterprise: int) -> list[dict]:
        return [quota for quota in self.quotas.get(campaign_id, ())
                if quota["industry"] in (None, industry) and quota["city"] in (None, city)
                and quota["enterprise_id"] in (None, enterprise)]

    def _check_quota(self, campaign: Mapping[str, Any], industry: str, city: str, enterprise: int) -> None:
        for quota in self._covering(campaign["id"], industry, city, enterprise):
            if quota["id"] not in self.valid:
                self.valid[quota["id"]] = valid_count(self.connection, quota)
            if self.valid[quota["id"]] >= quota["target"]:
                raise QuotaFull(full_message(quota, self.valid[quota["id"]]))

    def neighbours(self, campaign: Mapping[str, Any], now: dt.datetime) -> GroupNeighbours:
        key = (campaign["id"], now)
        if key not in self._neighbours:
            made = self._neighbours[key] = GroupNeighbours(
                self.connection, campaign["id"], now, self.rule_set,
                networks={a.origin.network_hash for a in self._group if a.origin.network_hash},
                devices={a.origin.device_hash for a in self._group if a.origin.device_hash})
            for row in self._accepted:
                made.add(row)
        return self._neighbours[key]

    def accept(self, arrival: Arrival, campaign: Mapping[str, Any], row: Mapping[str, Any], *, valid: bool) -> None:
        """What storing this arrival (`row`: arrival_row of it) changes for those after it in the group."""
        submit = arrival.submit
        if submit.invitation is not None:
            self.invitations[token_sha256(submit.invitation)]["response_id"] = arrival.key
        if valid:
            for quota in self._covering(campaign["id"], arrival.instrument.industry, submit.city, submit.enterprise):
                if quota["id"] in self.valid:
                    self.valid[quota["id"]] += 1
        if not submit.test:
            for neighbours in self._neighbours.values():
                neighbours.add(row)
            self._accepted.append(row)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _values(arrival: Arrival, campaign: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    submit = arrival.submit
    return dict(
        id=arrival.key, uuid=submit.id, content_sha256=arrival.digest, instrument_code=submit.instrument,
        instrument_version=submit.version, campaign_id=campaign["id"], enterprise_id=submit.enterprise,
        outlet_id=submit.outlet, city=submit.city, locale=submit.locale, channel=arrival.channel,
        answers=arrival.answers, item_values=arrival.item_values,
        # stored in UTC: SQLite keeps no offset, so a time sent as +08:00 would otherwise come back 8 hours off
        started_at=_utc(submit.started_at), submitted_at=_utc(submit.submitted_at), received_at=now,
        is_test=submit.test, device_hash=arrival.origin.device_hash, network_hash=arrival.origin.network_hash,
        item_seconds=submit.item_seconds,
    )


def unstored_response(arrival: Arrival, now: dt.datetime) -> Response:
    """The response an arrival would be stored as, its campaign not looked up (bench/ingest.py's ceiling)."""
    return _response(_values(arrival, {"id": 0}, now), arrival.submit.campaign)


def _response(values: Mapping[str, Any], campaign: str) -> Response:
    return Response(
        id=values["uuid"], instrument=values["instrument_code"], version=values["instrument_version"],
        campaign=campaign, enterprise=values["enterprise_id"], outlet=values["outlet_id"], city=values["city"],
        locale=values["locale"], channel=values["channel"], answers=values["answers"],
        started_at=values["started_at"], submitted_at=values["submitted_at"],
        received_at=_utc(values["received_at"]), test=values["is_test"],
    )


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the rows (PostgreSQL: in id order, so two workers' groups lock the same ids in the same order); the ids
    stored."""
    if not rows:
        return set()
    if connection.dialect.name == "postgresql":
        return {key for key, in postgres_insert(connection, RESPONSES, sorted(rows, key=lambda row: row["id"]))}
    if driver_insert(connection, RESPONSES, rows):
        return {row["id"] for row in rows}
    # RETURNING, not rowcount: an id stored already is not returned
    return set(connection.execute(_sqlite_insert_new(), rows).scalars())


def _claim(connection: Connection, claims: list[tuple[str, str, dt.datetime]]) -> None:
    """Mark each token used by its response (the tokens were locked and checked unused in this transaction)."""
    for token, response_id, now in claims:
        connection.execute(update(InvitationRow)
                           .where(InvitationRow.token_sha256 == token_sha256(token), InvitationRow.response_id.is_(None))
                           .values(response_id=response_id, used_at=now))


def _digests(connection: Connection, ids: Collection[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(connection.execute(_reads(connection.dialect.name).digests, {"ids": sorted(set(ids))}).all())


def read_responses(connection: Connection, ids: Collection[str]) -> dict[str, Response]:
    """The stored responses of these ids (those that exist), as the API returns them."""
    rows = connection.execute(
        select(RESPONSES, CampaignRow.code.label("campaign_code"))
        .join(CampaignRow, CampaignRow.id == RESPONSES.c.campaign_id).where(RESPONSES.c.id.in_(set(ids)))
    ).mappings()
    return {row["id"]: Response(
        id=uuid.UUID(row["id"]), instrument=row["instrument_code"], version=row["instrument_version"],
        campaign=row["campaign_code"], enterprise=row["enterprise_id"], outlet=row["outlet_id"], city=row["city"],
        locale=row["locale"], channel=row["channel"], answers=row["answers"], started_at=_aware(row["started_at"]),
        submitted_at=_aware(row["submitted_at"]), received_at=_aware(row["received_at"]), test=row["is_test"],
    ) for row in rows}


_read = read_responses


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no offset: stored in UTC
