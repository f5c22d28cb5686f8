"""The `survey` command (also `python -m survey`)."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from survey.settings import Settings, SettingsError

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


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
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser(
        "demo", help="create the clearly marked demo campaign, its synthetic responses and a published release "
        "(empty database only)"
    )
    demo.set_defaults(run=_demo)

    release = commands.add_parser("release", help="scoring runs and published releases")
    from survey.releases import command as release_command

    release_command.add_commands(release, _open)

    runs = commands.add_parser("runs", help="built scoring runs (survey release build makes them, publish takes one)")
    release_command.add_run_commands(runs, _open)

    from survey import registry_command

    registry_command.add_commands(commands, _open)

    invitations = commands.add_parser("invitations", help="single-use invitation links and their QR codes")
    from survey.invitations import command as invitations_command

    invitations_command.add_commands(invitations, _open, _base_url)

    quality = commands.add_parser("quality", help="data-quality flags: batch check, review, override")
    from survey.quality import command as quality_command

    quality_command.add_commands(quality, _open)

    db = commands.add_parser("db", help="database schema").add_subparsers(title="db commands")
    upgrade = db.add_parser("upgrade", help="migrate the database named by SURVEY_DATABASE_URL to the newest schema")
    upgrade.set_defaults(run=_db_upgrade)
    current = db.add_parser("current", help="show the schema revision of the database")
    current.set_defaults(run=_db_current)

    users = commands.add_parser("users", help="accounts").add_subparsers(title="users commands")
    create_admin = users.add_parser(
        "create-admin", help="create an administrator (password from SURVEY_ADMIN_PASSWORD or a prompt)"
    )
    create_admin.add_argument("username")
    create_admin.add_argument("--name", default=None, help="display name (default: the username)")
    create_admin.set_defaults(run=_create_admin)

    instruments = commands.add_parser("instruments", help="list the published questionnaires; xlsform export|import")
    instruments.set_defaults(run=_instruments)
    from survey.instruments import xlsform_command

    xlsform_command.add_commands(instruments)

    export = commands.add_parser("export", help="a campaign's responses as csv, xlsx, sav or parquet, or their codebook")
    from survey.exports import command as export_command

    export_command.add_arguments(export)
    export.set_defaults(run=lambda args: export_command.run(args, _open))

    model = commands.add_parser("model", help="satisfaction-index models").add_subparsers(title="model commands")
    fit = model.add_parser("fit", help="fit a model file to a CSV file and report")
    from survey.scoring import command as scoring_command

    scoring_command.add_arguments(fit)
    fit.set_defaults(run=scoring_command.run)
    return parser


def _settings() -> Settings:
    return Settings.from_env(os.environ)


def _base_url() -> str:
    settings = _settings()
    return f"http://{settings.host}:{settings.port}"


def _serve(args: argparse.Namespace) -> int:
    import msgspec
    import uvicorn

    from survey import workers
    from survey.api import create_app
    from survey.api.app import served

    settings = _settings()
    changes = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    if settings.host in LOOPBACK and "SURVEY_COOKIE_SECURE" not in os.environ:
        changes["cookie_secure"] = False  # plain http://127.0.0.1 in development; behind HTTPS keep Secure cookies
    settings = msgspec.structs.replace(settings, **changes)
    if "SURVEY_ALLOWED_HOSTS" not in os.environ and settings.host not in ("0.0.0.0", "::", *settings.allowed_host_list):
        changes["allowed_hosts"] = f"{settings.allowed_hosts},{settings.host}"  # the address it was told to serve
    if settings.is_embedded:
        _migrate(settings)
        if "SURVEY_SECRET_KEY" not in os.environ:
            changes["secret_key"] = _kept_secret_key(settings)
        _local_admin(settings)
        if settings.demo and not args.no_demo:
            _create_demo(settings)
    settings = msgspec.structs.replace(settings, **changes)
    print(f"survey: serving on http://{settings.host}:{settings.port}/ (database {settings.database_url})", flush=True)
    if args.workers <= 1:
        uvicorn.run(served(create_app(settings)), host=settings.host, port=settings.port, log_level="info")
        return 0
    # Each worker process builds its app from the environment: hand it the settings decided here.
    os.environ.update({"SURVEY_SECRET_KEY": settings.secret_key, "SURVEY_HOST": settings.host,
                       "SURVEY_PORT": str(settings.port), "SURVEY_COOKIE_SECURE": str(settings.cookie_secure).lower(),
                       "SURVEY_ALLOWED_HOSTS": settings.allowed_hosts})
    if workers.balances():  # a listening socket per worker: the kernel spreads the connections (survey/workers.py)
        return workers.serve_workers(settings.host, settings.port, args.workers)
    uvicorn.run(workers.APP, factory=True, workers=args.workers, host=settings.host, port=settings.port,
                log_level="info")
    return 0


def _kept_secret_key(settings: Settings) -> str:
    """For the embedded default without SURVEY_SECRET_KEY: a generated key kept in var/secret-key (mode 0600), so that
    keyed hashes (devices, networks, rate-limit keys) mean the same after a restart and in every worker."""
    path = (settings.sqlite_path() or Path("var/survey.db")).parent / "secret-key"
    if path.exists():
        key = path.read_text().strip()
        if len(key) >= 16:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
        file.flush()
        os.fsync(file.fileno())
    path.chmod(0o600)
    return key


def _local_admin(settings: Settings) -> None:
    """For the embedded default: with no administrator yet, create `admin` with a generated password kept in
    var/admin-password (mode 0600) beside the database."""
    from survey.accounts import AccountCreate
    from survey.store import accounts
    from survey.store.engine import Database, make_engine

    path = (settings.sqlite_path() or Path("var/survey.db")).parent / "admin-password"
    db = Database(make_engine(settings.database_url))
    try:
        if accounts.count_admins(db) == 0:
            password = secrets.token_urlsafe(18)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_text(password + "\n")
            accounts.create_account(db, AccountCreate(
                username="admin", password=password, role="admin", display_name="Local administrator"))
    finally:
        db.dispose()
    if path.exists():
        print(f"survey: administrator 'admin', password in {path}; sign in at http://{settings.host}:{settings.port}"
              "/login or POST /api/tokens", flush=True)


def _migrate(settings: Settings, *, quiet: bool = False) -> None:
    from survey.store.engine import make_engine
    from survey.store.schema import current_revision, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    if not quiet:
        print(f"survey: database schema at revision {current_revision(engine)}", flush=True)
    engine.dispose()


def _open():  # noqa: ANN202 - (Database, Catalogue), imported lazily so `survey --help` stays quick
    """The database (migrated first when it is the embedded file) and the catalogue, registered in it."""
    from survey.instruments.catalogue import load_catalogue
    from survey.store.engine import Database, make_engine
    from survey.store.instruments import register_catalogue

    settings = _settings()
    if settings.is_embedded:
        _migrate(settings, quiet=True)
    db = Database(make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous))
    catalogue = load_catalogue()
    register_catalogue(db, catalogue)
    return db, catalogue


def _create_demo(settings: Settings) -> bool:
    from survey.demo import create_demo
    from survey.releases.command import ProgressLine

    db, catalogue = _open()
    print("survey: creating the demo wave (synthetic responses, demo data) and publishing its release ...", flush=True)
    progress = ProgressLine()
    release_id = create_demo(db, catalogue, progress=progress)
    db.dispose()
    if release_id is None:
        return False
    progress.done()
    print(f"survey: demo release published: http://{settings.host}:{settings.port}/releases/{release_id}", flush=True)
    return True


def _create_admin(args: argparse.Namespace) -> int:
    import getpass

    import msgspec

    from survey.accounts import AccountCreate
    from survey.errors import Conflict, InvalidInput

    password = os.environ.get("SURVEY_ADMIN_PASSWORD")
    if password is None:
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("the same password again: ") != password:
            print("survey: the two passwords differ; nothing was created", file=sys.stderr)
            return 2
    try:
        data = msgspec.convert(
            {"username": args.username, "password": password, "role": "admin", "display_name": args.name or args.username},
            AccountCreate,
        )
    except msgspec.ValidationError as exc:
        print(f"survey: {exc}; nothing was created", file=sys.stderr)
        return 2
    from survey.store import accounts

    db, _ = _open()
    try:
        account = accounts.create_account(db, data)
    except (Conflict, InvalidInput) as exc:
        print(f"survey: {exc}; nothing was created", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"survey: administrator {account.username} created (id {account.id})")
    return 0


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
