"""The published audit checklists: TOML files in `data/`, each version locked to its content hash like the questionnaires.

`audit_common-<n>.toml` is the checklist every outlet is audited with; `audit_<industry>-<n>.toml` adds the items an
industry needs to a common version (`base = "audit_common-<n>"`, `[[extra]]` items appended to a family by its code,
further special deductions and bonuses). `published.toml` locks each version to the sha256 of its composed canonical
form; a change is a new version (see survey/instruments/catalogue.py for the steps, which are the same).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from survey.audits.spec import AuditItem, Checklist, Family, Special
from survey.errors import NotFound
from survey.instruments.catalogue import LOCK, load_lock, publish
from survey.instruments.load import InstrumentError
from survey.instruments.spec import Code, Text, Version
from survey.regions import load_industries

COMMON = "audit_common"
BaseName = Annotated[str, Meta(pattern=r"^audit_common-[1-9][0-9]{0,3}$")]


class Extra(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Industry items appended to one family of the base checklist."""

    family: Code
    items: Annotated[tuple[AuditItem, ...], Meta(min_length=1, max_length=30)]


class Draft(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A checklist file as authored: a whole checklist, or a base plus an industry's extra items."""

    code: Code
    kind: Literal["audit"] = "audit"
    industry: Code
    version: Version
    base: BaseName | None = None
    title: Text
    intro: Text
    families: Annotated[tuple[Family, ...], Meta(max_length=10)] = ()
    extra: Annotated[tuple[Extra, ...], Meta(max_length=10)] = ()
    deductions: Annotated[tuple[Special, ...], Meta(max_length=20)] = ()
    bonuses: Annotated[tuple[Special, ...], Meta(max_length=20)] = ()


class PublishedChecklist(Struct, frozen=True, kw_only=True):
    checklist: Checklist
    sha256: str

    @property
    def instrument(self) -> Checklist:
        """The checklist under the name the instrument registry uses for every kind (survey.store.instruments)."""
        return self.checklist


class UnknownChecklist(NotFound, KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class Checklists:
    """Every published checklist version, looked up by code and version, and the one an industry uses."""

    def __init__(self, published: list[PublishedChecklist]) -> None:
        self._versions: dict[str, dict[int, PublishedChecklist]] = {}
        for entry in published:
            self._versions.setdefault(entry.checklist.code, {})[entry.checklist.version] = entry

    def get(self, code: str, version: int | None = None) -> PublishedChecklist:
        versions = self._versions.get(code)
        if not versions or (version is not None and version not in versions):
            raise UnknownChecklist(f"no checklist {code!r}" + (f" version {version}" if version else ""))
        return versions[max(versions) if version is None else version]

    def for_industry(self, industry: str) -> PublishedChecklist:
        """The newest checklist of the industry when it has its own, else the newest common one."""
        return self.get(f"audit_{industry}" if f"audit_{industry}" in self._versions else COMMON)

    def all_versions(self) -> list[PublishedChecklist]:
        return [entry for code in sorted(self._versions) for _, entry in sorted(self._versions[code].items())]


def data_files() -> Traversable:
    return resources.files("survey.audits").joinpath("data")


def load_checklist_text(text: str, source: str, root: Traversable | None = None) -> Checklist:
    """Decode, compose with its base and check one checklist file; `source` names it in errors."""
    draft = _convert(_parse(text, source), Draft, source)
    families, deductions, bonuses = draft.families, draft.deductions, draft.bonuses
    if draft.base is not None:
        if families:
            raise InstrumentError(f"{source}: families: a checklist with a base adds items with [[extra]] instead")
        base_source = f"{draft.base}.toml"
        path = (root or data_files()).joinpath(base_source)
        if not path.is_file():
            raise InstrumentError(f"{source}: base: {base_source} not found")
        base = load_checklist_text(path.read_text("utf-8"), base_source, root)
        families, deductions, bonuses = _extend(base.families, draft.extra, source), base.deductions + deductions, \
            base.bonuses + bonuses
    elif draft.extra:
        raise InstrumentError(f"{source}: extra: only a checklist with a base adds extra items")
    fields = {name: getattr(draft, name) for name in ("code", "kind", "industry", "version", "title", "intro")}
    composed = msgspec.to_builtins(Checklist(**fields, families=families, deductions=deductions, bonuses=bonuses))
    checklist = _convert(composed, Checklist, source)
    check_checklist(checklist, source)
    return checklist


def check_checklist(checklist: Checklist, source: str) -> None:
    """What the types cannot say: a known industry, codes used once, a name that matches the industry."""
    industries = set(load_industries().codes())
    if checklist.industry != "common" and checklist.industry not in industries:
        raise InstrumentError(f"{source}: industry: {checklist.industry!r} is neither 'common' nor a known industry")
    expected = COMMON if checklist.industry == "common" else f"audit_{checklist.industry}"
    if checklist.code != expected:
        raise InstrumentError(f"{source}: code: a checklist for {checklist.industry} is called {expected}")
    seen: set[str] = set()
    for code in [f.code for f in checklist.families] + [i.code for i in checklist.items()] + \
            [s.code for s in checklist.deductions + checklist.bonuses]:
        if code in seen:
            raise InstrumentError(f"{source}: {code}: code used twice")
        seen.add(code)


def load_checklists(root: Traversable | None = None) -> Checklists:
    """Load, compose and hash-verify every checklist file in `root` (the package's `data/` by default)."""
    root = root or data_files()
    lock = load_lock(root)
    published = []
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".toml") or path.name == LOCK:
            continue
        checklist = load_checklist_text(path.read_text("utf-8"), path.name, root)
        if path.name != f"{checklist.code}-{checklist.version}.toml":
            raise InstrumentError(f"{path.name}: file name must be {checklist.code}-{checklist.version}.toml")
        published.append(PublishedChecklist(checklist=checklist, sha256=publish(checklist, path.name, lock).sha256))
    found = {(p.checklist.code, p.checklist.version) for p in published}
    for entry in lock.published:
        if (entry.code, entry.version) not in found:
            raise InstrumentError(f"{LOCK}: {entry.code} version {entry.version} is published but its file is missing")
    return Checklists(published)


def _extend(families: tuple[Family, ...], extra: tuple[Extra, ...], source: str) -> tuple[Family, ...]:
    added: dict[str, tuple[AuditItem, ...]] = {}
    codes = {family.code for family in families}
    for block in extra:
        if block.family not in codes:
            raise InstrumentError(f"{source}: extra: no family {block.family!r} in the base")
        added[block.family] = added.get(block.family, ()) + block.items
    return tuple(msgspec.structs.replace(f, items=f.items + added.get(f.code, ())) for f in families)


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InstrumentError(f"{source}: TOML syntax: {error}") from None


def _convert(raw: dict[str, Any], kind: type, source: str) -> Any:
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as error:
        reason, _, path = str(error).partition(" - at ")
        raise InstrumentError(f"{source}: {path.strip('`') or '$'}: {reason}") from None
