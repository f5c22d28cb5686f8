"""Instrument versions in the database: registered once, never changed."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from survey.errors import Conflict
from survey.instruments.catalogue import Catalogue
from survey.instruments.spec import encode_canonical
from survey.store.engine import Database
from survey.store.tables import InstrumentRow


def register_instruments(db: Database, published: Iterable) -> int:
    """Store every catalogue version not yet stored; refuse one whose stored content differs."""
    added = 0
    with db.transaction() as session:
        stored = {(row.code, row.version): row.sha256 for row in session.scalars(select(InstrumentRow))}
        for entry in published:
            instrument = entry.instrument
            key = (instrument.code, instrument.version)
            if key in stored:
                if stored[key] != entry.sha256:
                    raise Conflict(
                        f"instrument {instrument.code} v{instrument.version} differs from the version stored "
                        "in the database: a published version is never edited, make a new version"
                    )
                continue
            session.add(
                InstrumentRow(
                    code=instrument.code,
                    version=instrument.version,
                    kind=instrument.kind,
                    industry=instrument.industry,
                    sha256=entry.sha256,
                    content=encode_canonical(instrument).decode(),
                )
            )
            added += 1
    return added


def register_catalogue(db: Database, catalogue: Catalogue) -> int:
    """Store every published version of every questionnaire in the catalogue (see register_instruments)."""
    return register_instruments(db, [
        catalogue.get(entry.instrument.code, version)
        for entry in catalogue.all()
        for version in catalogue.versions(entry.instrument.code)
    ])
