"""The `survey` command (also `python -m survey`)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from survey.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except SettingsError as exc:
        print(f"survey: setting error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="survey", description=__doc__)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the web service (migrates the embedded database first)")
    serve.add_argument("--host", help="listen address (default SURVEY_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default SURVEY_PORT or 8000)")
    serve.add_argument("--no-demo", action="store_true", help="do not create the demo wave in an empty embedded database")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="create the clearly marked demo campaign and registry (empty database only)")
    demo.set_defaults(run=_demo)

    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands")
    upgrade = db.add_parser("upgrade", help="migrate the database named by SURVEY_DATABASE_URL to the newest schema")
    upgrade.set_defaults(run=_db_upgrade)
    current = db.add_parser("current", help="show the schema revision of the database")
    current.set_defaults(run=_db_current)

    instruments = commands.add_parser("instruments", help="the published questionnaires")
    instruments.set_defaults(run=_instruments)

    model = commands.add_parser("model", help="satisfaction-index models").add_subparsers(title="model commands")
    fit = model.add_parser("fit", help="fit a model file to a CSV file and report")
    from survey.scoring import command as scoring_command

    scoring_command.add_arguments(fit)
    fit.set_defaults(run=scoring_command.run)
    return parser


def _settings() -> Settings:
    return Settings.from_env(os.environ)


def _serve(args: argparse.Namespace) -> int:
    import msgspec
    import uvicorn

    from survey.api import create_app

    settings = _settings()
    changes = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    if settings.admin_token is None and settings.is_embedded:
        changes["admin_token"] = _local_admin_token(settings)
    settings = msgspec.structs.replace(settings, **changes)
    if settings.is_embedded:
        _migrate(settings)
        if settings.demo and not args.no_demo:
            _create_demo(settings)
    print(f"survey: serving on http://{settings.host}:{settings.port}/ (database {settings.database_url})", flush=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


def _local_admin_token(settings: Settings) -> str:
    """For the embedded default: an admin token kept in var/admin-token (mode 0600) beside the database."""
    folder = (settings.sqlite_path() or Path("var/survey.db")).parent
    path = folder / "admin-token"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24) + "\n")
        path.chmod(0o600)
    print(f"survey: administrator token in {path} (set SURVEY_ADMIN_TOKEN to choose your own)", flush=True)
    return path.read_text().strip()


def _migrate(settings: Settings) -> None:
    from survey.store.engine import make_engine
    from survey.store.schema import current_revision, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"survey: database schema at revision {current_revision(engine)}", flush=True)
    engine.dispose()


def _create_demo(settings: Settings) -> bool:
    from survey.demo import create_demo
    from survey.store.engine import Database, make_engine

    db = Database(make_engine(settings.database_url))
    created = create_demo(db)
    db.dispose()
    if created:
        print("survey: created the demo campaign 'demo' with enterprises in all ten industries (demo data)", flush=True)
    return created


def _db_upgrade(_: argparse.Namespace) -> int:
    _migrate(_settings())
    return 0


def _demo(_: argparse.Namespace) -> int:
    settings = _settings()
    if settings.is_embedded:
        _migrate(settings)
    if not _create_demo(settings):
        print("survey: the database already has campaigns; the demo is only created in an empty one", file=sys.stderr)
        return 1
    return 0


def _db_current(_: argparse.Namespace) -> int:
    from survey.store.engine import make_engine
    from survey.store.schema import current_revision, head_revision

    revision = current_revision(make_engine(_settings().database_url))
    print(f"current {revision or 'none (empty database)'}; newest {head_revision()}")
    return 0 if revision == head_revision() else 1


def _instruments(_: argparse.Namespace) -> int:
    from survey.instruments.catalogue import load_catalogue

    for entry in load_catalogue().all():
        instrument = entry.instrument
        print(f"{instrument.code:<26} v{instrument.version}  {len(instrument.items()):>2} items  "
              f"{entry.sha256[:12]}  {instrument.title.zh} / {instrument.title.en}")
    return 0
