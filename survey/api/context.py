"""What every handler may use: settings, the database, the catalogue and the reference lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar.di import NamedDependency

from survey.api.auth import admin_only  # noqa: F401 - the administrator guard, where the registry routes look for it
from survey.audits.catalogue import Checklists, load_checklists
from survey.instruments.catalogue import Catalogue
from survey.regions import IndustryList, RegionList
from survey.settings import Settings
from survey.store.engine import Database


@dataclass(frozen=True)
class Context:
    settings: Settings
    db: Database
    catalogue: Catalogue
    regions: RegionList
    industries: IndustryList
    cache: dict = field(default_factory=dict)  # decoded immutable objects (published releases), per process
    checklists: Checklists = field(default_factory=load_checklists)  # the published audit checklists


AppContext = NamedDependency[Context]  # how handlers ask for the context
