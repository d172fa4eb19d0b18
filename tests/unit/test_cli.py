"""The command line says clearly what is wrong before it starts anything."""

import socket

from click.testing import CliRunner

from pgagent_live.cli import main
from pgagent_live.service import page_url


def test_serve_without_a_server_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve"])

    assert result.exit_code == 2
    assert "no server to watch" in result.output


def test_a_malformed_server_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["serve", "--server", "no-equals-sign"])

    assert result.exit_code == 2
    assert "expected NAME=CONNINFO" in result.output


def test_a_busy_port_names_the_port_flag() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = CliRunner().invoke(
            main, ["serve", "--server", "a=dbname=postgres", "--port", str(port)]
        )

    assert result.exit_code == 1
    assert f"port {port}" in result.output
    assert "--port" in result.output


def test_a_bad_setting_in_the_environment_is_a_clear_error() -> None:
    result = CliRunner().invoke(
        main,
        ["serve", "--server", "a=dbname=postgres"],
        env={"PGAGENT_LIVE_NOTIFICATION_POSITION": "centre"},
    )

    assert result.exit_code == 1
    assert "NOTIFICATION_POSITION" in result.output


def test_the_page_url_carries_the_token_in_its_fragment() -> None:
    assert page_url("127.0.0.1", 5050, "abc") == "http://127.0.0.1:5050/#token=abc"
    assert page_url("0.0.0.0", 80, "abc") == "http://127.0.0.1:80/#token=abc"
    assert page_url("::", 5050, "t") == "http://[::1]:5050/#token=t"


def test_a_server_that_is_no_connection_string_is_refused_without_echo() -> None:
    result = CliRunner().invoke(main, ["serve", "--server", "password=Secret-7731"])

    assert result.exit_code == 2
    assert "expected a connection string" in result.output
    assert "Secret-7731" not in result.output
