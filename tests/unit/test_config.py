"""Settings come from the file, then the environment, then flags, each winning over the last."""

from pathlib import Path
from typing import Any

import pytest

from pgagent_live.config import ConfigError, load_settings

# Each setting with a value unlike its default, as written in TOML and in the environment.
CASES: list[tuple[str, str, str, Any]] = [
    ("WEBSOCKET_ENABLED", "false", "false", False),
    ("WEBSOCKET_PORT", "6060", "6060", 6060),
    ("NOTIFICATION_DURATION", "9000", "9000", 9000),
    ("NOTIFICATION_POSITION", '"bottom-left"', "bottom-left", "bottom-left"),
    ("DEBUG_MODE", "true", "true", True),
    ("POLL_INTERVAL", "2.5", "2.5", 2.5),
    ("HOST", '"0.0.0.0"', "0.0.0.0", "0.0.0.0"),
    ("SOCKET_PATH", '"/live/socket.io"', "/live/socket.io", "/live/socket.io"),
    ("SOCKET_RECONNECTION", "false", "false", False),
    ("SOCKET_RECONNECTION_ATTEMPTS", "3", "3", 3),
    ("SOCKET_RECONNECTION_DELAY", "250", "250", 250),
    ("SOCKET_TIMEOUT", "5000", "5000", 5000),
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in os.environ:
        if key.startswith("PGAGENT_LIVE_"):
            monkeypatch.delenv(key)


def test_defaults_follow_the_specification() -> None:
    settings = load_settings()

    assert settings.websocket_enabled is True
    assert settings.websocket_port == 5050
    assert settings.notification_duration == 5000
    assert settings.notification_position == "top-right"
    assert settings.debug_mode is False
    assert settings.host == "127.0.0.1"
    assert settings.client_config()["socket"] == {
        "path": "/socket.io",
        "reconnection": True,
        "reconnectionAttempts": 10,
        "reconnectionDelay": 1000,
        "timeout": 20000,
    }


@pytest.mark.parametrize(("name", "toml", "env", "expected"), CASES)
def test_each_setting_is_read_from_the_file(
    tmp_path: Path, name: str, toml: str, env: str, expected: Any
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"{name} = {toml}\n")

    assert getattr(load_settings(path), name.lower()) == expected


@pytest.mark.parametrize(("name", "toml", "env", "expected"), CASES)
def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, toml: str, env: str, expected: Any
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("")
    monkeypatch.setenv(f"PGAGENT_LIVE_{name}", env)

    assert getattr(load_settings(path), name.lower()) == expected


def test_flags_win_over_the_environment_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("WEBSOCKET_PORT = 6000\nPOLL_INTERVAL = 3\n")
    monkeypatch.setenv("PGAGENT_LIVE_WEBSOCKET_PORT", "6001")

    settings = load_settings(path, websocket_port=6002, poll_interval=None)

    assert settings.websocket_port == 6002
    assert settings.poll_interval == 3


def test_servers_are_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[servers.prod]\nconninfo = "dbname=postgres"\nname = "Production"\n')

    settings = load_settings(path)

    assert settings.servers["prod"].conninfo == "dbname=postgres"
    assert settings.servers["prod"].name == "Production"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('NOTIFICATION_POSITION = "middle"\n', "NOTIFICATION_POSITION"),
        ("WEBSOCKET_PORT = 70000\n", "WEBSOCKET_PORT"),
        ("NO_SUCH_SETTING = 1\n", "NO_SUCH_SETTING"),
        ("WEBSOCKET_PORT = \n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)

    with pytest.raises(ConfigError, match=expected):
        load_settings(path)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read settings file"):
        load_settings(tmp_path / "absent.toml")


def test_a_bad_server_entry_does_not_echo_its_connection_string(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[servers]\nprod = "host=db password=hunter2"\n')

    with pytest.raises(ConfigError) as raised:
        load_settings(path)

    assert "hunter2" not in str(raised.value)


def test_an_unparsable_connection_string_is_refused_without_echo(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[servers.prod]\nconninfo = "postgresql://u:Uri-Pass-4410@[db1/postgres"\n')

    with pytest.raises(ConfigError, match="expected a connection string") as raised:
        load_settings(path)

    assert "Uri-Pass-4410" not in str(raised.value)


@pytest.mark.parametrize("name", ["ALLOWED_ORIGINS", "TRUSTED_PROXIES", "TOKENS"])
def test_a_list_in_the_environment_that_is_no_json_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(f"PGAGENT_LIVE_{name}", "https://a.example")

    with pytest.raises(ConfigError, match="written as JSON"):
        load_settings()


def test_missing_tls_files_are_a_clear_error(tmp_path: Path) -> None:
    cert = tmp_path / "nope-cert.pem"

    with pytest.raises(ConfigError, match=r"nope-cert\.pem"):
        load_settings(tls_cert=cert, tls_key=tmp_path / "nope-key.pem")


def test_tls_files_that_are_no_pem_are_a_clear_error(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("garbage")
    key.write_text("garbage")

    with pytest.raises(ConfigError, match="PEM certificate"):
        load_settings(tls_cert=cert, tls_key=key)


def test_half_a_tls_pair_names_both_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"SETTINGS: .*TLS_CERT and TLS_KEY"):
        load_settings(tls_cert=tmp_path / "cert.pem")
