import stat

from survey import cli
from survey.settings import Settings
from survey.store import accounts
from survey.store.engine import Database, make_engine


def test_create_admin_takes_the_password_from_the_environment(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path}/survey.db"
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    monkeypatch.setenv("SURVEY_ADMIN_PASSWORD", "a long admin password")
    assert cli.main(["users", "create-admin", "boss"]) == 0
    assert "administrator boss created" in capsys.readouterr().out
    db = Database(make_engine(url))
    assert accounts.authenticate(db, "boss", "a long admin password").role == "admin"
    assert cli.main(["users", "create-admin", "boss"]) == 1
    assert "taken" in capsys.readouterr().err
    monkeypatch.setenv("SURVEY_ADMIN_PASSWORD", "short")
    assert cli.main(["users", "create-admin", "other"]) == 2
    assert "nothing was created" in capsys.readouterr().err
    assert accounts.count_admins(db) == 1
    db.dispose()


def test_the_embedded_default_gets_a_local_admin_once(tmp_path, capsys):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/var/survey.db")
    cli._migrate(settings, quiet=True)
    cli._local_admin(settings)
    path = tmp_path / "var" / "admin-password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert str(path) in capsys.readouterr().out
    password = path.read_text().strip()
    db = Database(make_engine(settings.database_url))
    assert accounts.authenticate(db, "admin", password) is not None
    cli._local_admin(settings)  # a second start keeps the administrator and its password
    assert path.read_text().strip() == password and accounts.count_admins(db) == 1
    db.dispose()


def test_the_embedded_default_keeps_its_generated_secret_key(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path}/var/survey.db")
    key = cli._kept_secret_key(settings)
    path = tmp_path / "var" / "secret-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32
    assert cli._kept_secret_key(settings) == key  # a restart hashes devices and networks the same way
    path.write_text("short\n")  # a damaged file is replaced, never used as a weak key
    assert cli._kept_secret_key(settings) not in (key, "short")


def test_serve_with_workers_gives_each_a_socket_of_its_own_where_that_spreads_connections(tmp_path, monkeypatch):
    from survey import workers

    called = []
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"sqlite:///{tmp_path}/survey.db")
    monkeypatch.setenv("SURVEY_SECRET_KEY", "a-secret-key-for-the-test-0123456789")
    monkeypatch.setattr(workers, "serve_workers", lambda host, port, count: called.append((host, port, count)) or 0)
    monkeypatch.setattr(workers, "balances", lambda: True)
    for key in ("SURVEY_HOST", "SURVEY_PORT", "SURVEY_ALLOWED_HOSTS", "SURVEY_COOKIE_SECURE"):
        monkeypatch.delenv(key, raising=False)  # the command sets them for its workers
    assert cli.main(["serve", "--workers", "3", "--port", "8123", "--no-demo"]) == 0
    assert called == [("127.0.0.1", 8123, 3)]
