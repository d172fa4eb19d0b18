"""A private nginx on a free loopback port, proxying a sub-path to the service."""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.live_service import free_port

NGINX = "/usr/sbin/nginx"

_CONFIG = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location {prefix}/ {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_buffering off;
            proxy_read_timeout 120s;
            {upgrade}
        }}
    }}
}}
"""

_UPGRADE = 'proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade";'


@contextlib.contextmanager
def nginx_proxy(upstream_port: int, prefix: str, *, websocket: bool) -> Iterator[str]:
    """Serve ``http://127.0.0.1:PORT{prefix}/`` from the upstream; yields that URL's origin.

    Without ``websocket`` the proxy drops the upgrade headers, as many proxies do by default.
    """
    if not Path(NGINX).exists():
        raise RuntimeError(f"expected Debian's nginx at {NGINX}: run 'make test'")
    folder = Path(tempfile.mkdtemp(prefix="pgagent-live-nginx-"))
    port = free_port()
    # As root, nginx would hand its workers to a user that cannot reach this folder.
    root = "user root root;" if os.geteuid() == 0 else ""
    config = _CONFIG.format(
        dir=folder,
        port=port,
        prefix=prefix,
        upstream=upstream_port,
        upgrade=_UPGRADE if websocket else "",
        user=root,
    )
    (folder / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(folder),
            "-c",
            str(folder / "nginx.conf"),
            "-e",
            str(folder / "error.log"),
        ]
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(origin, process, folder)
        yield origin
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_up(origin: str, process: subprocess.Popen[bytes], folder: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (folder / "error.log").read_text() if (folder / "error.log").exists() else ""
            raise RuntimeError(f"nginx exited with {process.returncode}: {log}")
        try:
            urllib.request.urlopen(origin + "/", timeout=1)
        except urllib.error.HTTPError:
            return  # nginx answers (404 outside the prefix): it is up
        except OSError:
            time.sleep(0.1)
            continue
        return
    raise RuntimeError(f"nginx did not answer at {origin} within 30 s")
