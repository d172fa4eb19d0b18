"""Each setting changes what the running service does, from the file, the environment or a flag."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from pgagent_live.demo.cluster import Cluster
from tests.live_service import free_port

pytestmark = pytest.mark.integration

TOKEN = "settings-token"


@contextmanager
def serve(
    cluster: Cluster, tmp_path: Path, source: str, name: str, value: str, toml: str
) -> Iterator[str]:
    """Run ``pgagent-live serve`` with one setting given by ``source``; yield its base URL."""
    port = free_port()
    config = tmp_path / "settings.toml"
    config.write_text(f"{name} = {toml}\n" if source == "file" else "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PGAGENT_LIVE_")}
    if source == "env":
        env[f"PGAGENT_LIVE_{name}"] = value
    command = [sys.executable, "-m", "pgagent_live", "serve", "--config", str(config)]
    command += ["--server", f"main={cluster.conninfo()}", "--token", TOKEN]
    if name == "WEBSOCKET_PORT":
        port = int(value)
        if source == "flag":
            command += ["--port", value]
    else:
        command += ["--port", str(port)]
        if source == "flag":
            command += FLAGS[name](value)

    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_listening(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


FLAGS: dict[str, Any] = {
    "DEBUG_MODE": lambda value: ["--debug"] if value == "true" else [],
    "POLL_INTERVAL": lambda value: ["--poll-interval", value],
}


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if "serving on" in log.read_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"expected the service on port {port}, found:\n{log.read_text()}")


def config_of(url: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/v1/config", headers={"Authorization": f"Bearer {TOKEN}"})
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


HANDED_TO_PAGE = [
    ("NOTIFICATION_DURATION", "1234", "1234", ("notification", "duration"), 1234),
    (
        "NOTIFICATION_POSITION",
        "bottom-left",
        '"bottom-left"',
        ("notification", "position"),
        "bottom-left",
    ),
    ("DEBUG_MODE", "true", "true", ("debug",), True),
    ("SOCKET_PATH", "/live/socket.io", '"/live/socket.io"', ("socket", "path"), "/live/socket.io"),
    ("SOCKET_RECONNECTION", "false", "false", ("socket", "reconnection"), False),
    ("SOCKET_RECONNECTION_ATTEMPTS", "3", "3", ("socket", "reconnectionAttempts"), 3),
    ("SOCKET_RECONNECTION_DELAY", "250", "250", ("socket", "reconnectionDelay"), 250),
    ("SOCKET_TIMEOUT", "7000", "7000", ("socket", "timeout"), 7000),
    ("WEBSOCKET_ENABLED", "false", "false", ("websocket_enabled",), False),
]


@pytest.mark.parametrize("source", ["file", "env"])
@pytest.mark.parametrize(("name", "value", "toml", "path", "expected"), HANDED_TO_PAGE)
def test_settings_handed_to_the_page(
    cluster: Cluster,
    reachable_tmp_path: Path,
    source: str,
    name: str,
    value: str,
    toml: str,
    path: tuple[str, ...],
    expected: Any,
) -> None:
    with serve(cluster, reachable_tmp_path, source, name, value, toml) as url:
        found: Any = config_of(url)

    for key in path:
        found = found[key]
    assert found == expected


def test_debug_mode_from_its_flag(cluster: Cluster, reachable_tmp_path: Path) -> None:
    with serve(cluster, reachable_tmp_path, "flag", "DEBUG_MODE", "true", "") as url:
        assert config_of(url)["debug"] is True


@pytest.mark.parametrize("source", ["file", "env", "flag"])
def test_the_port_is_where_the_service_answers(
    cluster: Cluster, reachable_tmp_path: Path, source: str
) -> None:
    port = str(free_port())

    with serve(cluster, reachable_tmp_path, source, "WEBSOCKET_PORT", port, port) as url:
        assert url.endswith(f":{port}")
        assert config_of(url)["namespace"] == "/pgagent"


@pytest.mark.parametrize("source", ["file", "env"])
async def test_websocket_disabled_refuses_the_socket_but_serves_rest(
    cluster: Cluster, reachable_tmp_path: Path, source: str
) -> None:
    client = socketio.AsyncClient(reconnection=False)

    with serve(cluster, reachable_tmp_path, source, "WEBSOCKET_ENABLED", "false", "false") as url:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                url, namespaces=["/pgagent"], auth={"token": TOKEN}, wait_timeout=5
            )
        jobs = httpx.get(
            f"{url}/api/v1/servers/main/jobs", headers={"Authorization": f"Bearer {TOKEN}"}
        )
    await client.disconnect()

    assert jobs.status_code == 200


@pytest.mark.parametrize("source", ["file", "env"])
async def test_the_socket_path_is_where_socket_io_answers(
    cluster: Cluster, reachable_tmp_path: Path, source: str
) -> None:
    client = socketio.AsyncClient(reconnection=False)

    with serve(
        cluster, reachable_tmp_path, source, "SOCKET_PATH", "/live/sio", '"/live/sio"'
    ) as url:
        await client.connect(
            url,
            namespaces=["/pgagent"],
            auth={"token": TOKEN},
            socketio_path="/live/sio",
            wait_timeout=5,
        )
        connected = client.connected
        await client.disconnect()

    assert connected
