"""``pgagent-live demo`` serves the sample jobs and leaves nothing behind when stopped."""

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.test_demo import processes_using
from tests.live_service import free_port

pytestmark = pytest.mark.integration

URL = re.compile(r"serving on (http://\S+)")


def start_demo(data_dir: Path, port: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    command = [sys.executable, "-m", "pgagent_live", "demo", "--data-dir", str(data_dir)]
    with log.open("wb") as output:
        demo = subprocess.Popen(
            [*command, "--port", str(port)], stdout=output, stderr=subprocess.STDOUT
        )

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and demo.poll() is None:
        found = URL.search(log.read_text())
        if found:
            return demo, found.group(1)
        time.sleep(0.1)
    demo.kill()
    demo.wait()
    raise AssertionError("expected the demo to print its URL, found:\n" + log.read_text())


def demo_jobs(url: str) -> list[str]:
    base, _, token = url.partition("/#token=")
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        jobs = httpx.get(f"{base}/api/v1/servers/demo/jobs", headers=headers).json()
        if jobs:
            return sorted(job["name"] for job in jobs)
        time.sleep(0.2)
    raise AssertionError("expected the demo's jobs, found none")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_demo_twice_keeps_its_jobs_and_leaves_no_process(
    reachable_tmp_path: Path, stop: signal.Signals
) -> None:
    data_dir = reachable_tmp_path / "demo"
    names = []

    for _ in range(2):
        demo, url = start_demo(data_dir, free_port(), reachable_tmp_path / "demo.log")
        assert re.search(r"#token=[\w-]{20,}$", url)
        names.append(demo_jobs(url))

        demo.send_signal(stop)
        assert demo.wait(timeout=60) is not None
        assert processes_using(reachable_tmp_path) == []

    assert names[0] == names[1]
    assert len(names[0]) == 4
    assert all(name.startswith("demo: ") for name in names[0])


def test_a_second_demo_in_the_same_directory_leaves_the_first_alone(
    reachable_tmp_path: Path,
) -> None:
    data_dir = reachable_tmp_path / "demo"
    first, url = start_demo(data_dir, free_port(), reachable_tmp_path / "first.log")
    try:
        command = [sys.executable, "-m", "pgagent_live", "demo", "--data-dir", str(data_dir)]
        second = subprocess.run(
            [*command, "--port", str(free_port())],
            capture_output=True,
            text=True,
            timeout=120,
        )

        assert second.returncode == 1
        assert "expected no server running" in second.stderr
        assert "Traceback" not in second.stderr
        assert len(demo_jobs(url)) == 4
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(timeout=60)
