"""The published questionnaires: every version in `data/`, each locked to its content hash.

Files in `data/`: `core-<n>.toml` holds sections shared by many instruments; `<code>-<version>.toml` is one instrument
(it names its core with `core = "core-<n>"`); `published.toml` locks each published version to the sha256 of its
composed, canonical form (`spec.encode_canonical`). A published version never changes, and neither does a core it uses.

To change a questionnaire, publish a new version, without any script:
1. copy `<code>-<version>.toml` to `<code>-<version+1>.toml` and set `version` in it (for a change to the shared core,
   copy `core-<n>.toml` to `core-<n+1>.toml` too and point the new instrument files at it);
2. edit the new files;
3. run the tests (or `python -c "import survey.instruments.catalogue as c; c.load_catalogue()"`): loading refuses the
   unlisted version and its message gives the `[[published]]` entry, with the hash, to append to `published.toml`;
4. append that entry and commit. Old versions stay, so responses keep pointing at the exact text they answered.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable
from importlib.resources.abc import Traversable
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from survey.errors import NotFound
from survey.instruments.load import InstrumentError, data_files, load_instrument_text
from survey.instruments.spec import Code, Instrument, Version, encode_canonical

LOCK = "published.toml"
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]


class UnknownInstrument(NotFound, KeyError):
    """No published questionnaire with that code (and version)."""

    def __str__(self) -> str:
        return str(self.args[0])


class Published(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A published instrument version and the hash that pins its content."""

    instrument: Instrument
    sha256: Sha256


class Locked(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    code: Code
    version: Version
    sha256: Sha256


class Lock(Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    published: tuple[Locked, ...] = ()


class Catalogue:
    """All published versions, looked up by code and version."""

    def __init__(self, published: Iterable[Published]) -> None:
        self._versions: dict[str, dict[int, Published]] = {}
        for entry in published:
            versions = self._versions.setdefault(entry.instrument.code, {})
            if entry.instrument.version in versions:
                raise InstrumentError(f"catalogue: {entry.instrument.code} version {entry.instrument.version} twice")
            versions[entry.instrument.version] = entry

    def get(self, code: str, version: int | None = None) -> Published:
        """The given version of a questionnaire, or its latest when `version` is None."""
        versions = self._versions.get(code)
        if not versions:
            raise UnknownInstrument(f"no questionnaire {code!r}")
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise UnknownInstrument(f"no version {version} of questionnaire {code!r}")
        return versions[version]

    def all(self) -> tuple[Published, ...]:
        """The latest version of every questionnaire, in code order."""
        return tuple(self.get(code) for code in sorted(self._versions))

    def versions(self, code: str) -> tuple[int, ...]:
        """The published version numbers of a questionnaire, oldest first."""
        if code not in self._versions:
            raise UnknownInstrument(f"no questionnaire {code!r}")
        return tuple(sorted(self._versions[code]))


def digest(instrument: Instrument) -> str:
    """Hex sha256 of the instrument's canonical JSON."""
    return hashlib.sha256(encode_canonical(instrument)).hexdigest()


def publish(instrument: Instrument, source: str, lock: Lock) -> Published:
    """Pair an instrument with its hash, refusing one that is unlisted in the lock or differs from its locked hash."""
    sha256 = digest(instrument)
    locked = {(entry.code, entry.version): entry.sha256 for entry in lock.published}
    expected = locked.get((instrument.code, instrument.version))
    if expected is None:
        raise InstrumentError(
            f"{source}: not published; to publish it append to {LOCK}:\n"
            f'[[published]]\ncode = "{instrument.code}"\nversion = {instrument.version}\nsha256 = "{sha256}"'
        )
    if expected != sha256:
        raise InstrumentError(
            f"{source}: published version was edited (locked sha256 {expected}, now {sha256}); "
            "restore it and make a new version"
        )
    return Published(instrument=instrument, sha256=sha256)


def load_lock(root: Traversable | None = None) -> Lock:
    """The lock file listing every published version and its hash."""
    text = (root or data_files()).joinpath(LOCK).read_text("utf-8")
    try:
        return msgspec.convert(tomllib.loads(text), Lock)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as error:
        raise InstrumentError(f"{LOCK}: {error}") from None


def load_catalogue(root: Traversable | None = None) -> Catalogue:
    """Load, check and hash-verify every instrument file in `root` (the package's `data/` by default)."""
    root = root or data_files()
    lock = load_lock(root)
    published = []
    for path in sorted(root.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".toml") or path.name == LOCK or path.name.startswith("core-"):
            continue
        instrument = load_instrument_text(path.read_text("utf-8"), path.name, root)
        if path.name != f"{instrument.code}-{instrument.version}.toml":
            raise InstrumentError(f"{path.name}: $: file name must be {instrument.code}-{instrument.version}.toml")
        published.append(publish(instrument, path.name, lock))
    found = {(p.instrument.code, p.instrument.version) for p in published}
    for entry in lock.published:
        if (entry.code, entry.version) not in found:
            raise InstrumentError(f"{LOCK}: {entry.code} version {entry.version} is published but its file is missing")
    return Catalogue(published)
