"""Registry queries: campaigns, enterprises, outlets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey.errors import Conflict, FieldError, InvalidInput, NotFound
from survey.registry import (
    Campaign,
    CampaignCreate,
    CampaignUpdate,
    Enterprise,
    EnterpriseCreate,
    EnterpriseUpdate,
    Outlet,
    OutletCreate,
    OutletUpdate,
    check_campaign,
    check_enterprise,
    check_outlet,
)
from survey.store.engine import Database
from survey.store.tables import Base, CampaignRow, EnterpriseRow, OutletRow

T = TypeVar("T")


def _read(row: Base, schema: type[T]) -> T:
    return msgspec.convert({c: getattr(row, c) for c in schema.__struct_fields__}, schema, from_attributes=False)


def _insert(db: Database, row: Base, schema: type[T], what: str) -> T:
    try:
        with db.transaction() as session:
            session.add(row)
            session.flush()
            return _read(row, schema)
    except IntegrityError:
        raise Conflict(f"{what} already exists") from None


def _update(db: Database, table: type[Base], key: int, changes: Any, schema: type[T]) -> T:
    with db.transaction() as session:
        row = session.get(table, key)
        if row is None:
            raise NotFound(f"{table.__tablename__} {key}")
        for field in changes.__struct_fields__:
            value = getattr(changes, field)
            if value is not None:
                setattr(row, field, value)
        session.flush()
        return _read(row, schema)


def _list(db: Database, table: type[Base], schema: type[T], offset: int, limit: int, **where: Any) -> tuple[list[T], int]:
    conditions = [getattr(table, name) == value for name, value in where.items() if value is not None]
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(table).where(*conditions)) or 0
        rows = session.scalars(select(table).where(*conditions).order_by(table.id).offset(offset).limit(limit))
        return [_read(row, schema) for row in rows], total


def _get(db: Database, table: type[Base], key: int, schema: type[T]) -> T:
    with db.read() as session:
        row = session.get(table, key)
        if row is None:
            raise NotFound(f"{table.__tablename__} {key}")
        return _read(row, schema)


def create_campaign(db: Database, data: CampaignCreate) -> Campaign:
    check_campaign(data)
    return _insert(db, CampaignRow(**msgspec.structs.asdict(data)), Campaign, f"campaign {data.code!r}")


def update_campaign(db: Database, campaign_id: int, data: CampaignUpdate) -> Campaign:
    check_campaign(data, get_campaign(db, campaign_id))
    return _update(db, CampaignRow, campaign_id, data, Campaign)


def get_campaign(db: Database, campaign_id: int) -> Campaign:
    return _get(db, CampaignRow, campaign_id, Campaign)


def find_campaign(db: Database, code: str) -> Campaign | None:
    with db.read() as session:
        row = session.scalar(select(CampaignRow).where(CampaignRow.code == code))
        return None if row is None else _read(row, Campaign)


def list_campaigns(db: Database, offset: int = 0, limit: int = 50) -> tuple[list[Campaign], int]:
    return _list(db, CampaignRow, Campaign, offset, limit)


def create_enterprise(db: Database, data: EnterpriseCreate) -> Enterprise:
    check_enterprise(data)
    row = EnterpriseRow(**msgspec.structs.asdict(data))
    return _insert(db, row, Enterprise, f"an enterprise with unified social credit code {data.uscc}")


def update_enterprise(db: Database, enterprise_id: int, data: EnterpriseUpdate) -> Enterprise:
    check_enterprise(data)
    return _update(db, EnterpriseRow, enterprise_id, data, Enterprise)


def get_enterprise(db: Database, enterprise_id: int) -> Enterprise:
    return _get(db, EnterpriseRow, enterprise_id, Enterprise)


def list_enterprises(
    db: Database, offset: int = 0, limit: int = 50, industry: str | None = None, city: str | None = None
) -> tuple[list[Enterprise], int]:
    return _list(db, EnterpriseRow, Enterprise, offset, limit, industry=industry, city=city)


def create_outlet(db: Database, data: OutletCreate) -> Outlet:
    check_outlet(data)
    try:
        get_enterprise(db, data.enterprise_id)
    except NotFound:
        raise InvalidInput([FieldError(field="enterprise_id", reason="no such enterprise")]) from None
    return _insert(db, OutletRow(**msgspec.structs.asdict(data)), Outlet, "outlet")


def update_outlet(db: Database, outlet_id: int, data: OutletUpdate) -> Outlet:
    check_outlet(data)
    return _update(db, OutletRow, outlet_id, data, Outlet)


def get_outlet(db: Database, outlet_id: int) -> Outlet:
    return _get(db, OutletRow, outlet_id, Outlet)


def list_outlets(
    db: Database, offset: int = 0, limit: int = 50, enterprise_id: int | None = None
) -> tuple[list[Outlet], int]:
    return _list(db, OutletRow, Outlet, offset, limit, enterprise_id=enterprise_id)


def create_enterprises_with_outlets(
    db: Database, enterprises: Sequence[EnterpriseCreate], outlets: Sequence[OutletCreate]
) -> list[tuple[Enterprise, Outlet]]:
    """Many enterprises, each with one outlet (whose enterprise_id is ignored), in one transaction (demo, bench)."""
    for data in enterprises:
        check_enterprise(data)
    try:
        with db.transaction() as session:
            rows = [EnterpriseRow(**msgspec.structs.asdict(data)) for data in enterprises]
            session.add_all(rows)
            session.flush()
            places = [
                OutletRow(**(msgspec.structs.asdict(outlet) | {"enterprise_id": row.id}))
                for row, outlet in zip(rows, outlets, strict=True)
            ]
            session.add_all(places)
            session.flush()
            return [(_read(row, Enterprise), _read(place, Outlet)) for row, place in zip(rows, places)]
    except IntegrityError:
        raise Conflict("an enterprise with one of these unified social credit codes already exists") from None
