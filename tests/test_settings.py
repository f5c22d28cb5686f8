import pytest

from survey.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_are_the_embedded_database_on_localhost():
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.is_embedded and str(settings.sqlite_path()) == "var/survey.db"
    assert settings.cookie_secure and settings.data_dir == "var"
    assert (settings.session_hours, settings.token_minutes) == (168, 60)
    assert len(settings.secret_key) >= 16


def test_reads_prefixed_variables_and_ignores_others():
    settings = Settings.from_env(
        {
            "SURVEY_DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SURVEY_PORT": "9001",
            "SURVEY_COOKIE_SECURE": "false",
            "SURVEY_DEFAULT_LOCALE": "en",
            "HOME": "/root",
            "SURVEY_TEST_POSTGRES_URL": "ignored",
        }
    )
    assert settings.port == 9001 and settings.default_locale == "en" and not settings.is_embedded
    assert settings.cookie_secure is False
    assert settings.sqlite_path() is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SURVEY_PORT": "http"}, "SURVEY_PORT"),
        ({"SURVEY_PORT": "70000"}, "SURVEY_PORT"),
        ({"SURVEY_DEFAULT_LOCALE": "fr"}, "SURVEY_DEFAULT_LOCALE"),
        ({"SURVEY_ADMIN_TOKEN": "a" * 24}, "unknown setting"),  # replaced by administrator accounts
        ({"SURVEY_TOKEN_MINUTES": "0"}, "SURVEY_TOKEN_MINUTES"),
        ({"SURVEY_DATABSE_URL": "x"}, "unknown setting"),
    ],
)
def test_bad_values_name_the_variable(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_allowed_hosts_and_cors_origins_are_comma_separated_lists():
    default = Settings.from_env({})
    assert default.allowed_host_list == ["127.0.0.1", "localhost"] and default.cors_origin_list == []
    named = Settings.from_env({"SURVEY_ALLOWED_HOSTS": "survey.example.cn,*.example.cn",
                               "SURVEY_CORS_ORIGINS": "https://a.example.cn,"})
    assert named.allowed_host_list == ["survey.example.cn", "*.example.cn"]
    assert named.cors_origin_list == ["https://a.example.cn"]
    with pytest.raises(SettingsError, match="SURVEY_ALLOWED_HOSTS"):
        Settings.from_env({"SURVEY_ALLOWED_HOSTS": "a.example.cn, b.example.cn"})
