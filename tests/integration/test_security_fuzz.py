"""Hostile input: generated messages over every client event, and the REST API fuzzed from its
OpenAPI document."""

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgagent_live.demo.cluster import Cluster
from tests.conftest import make_reachable_dir
from tests.security_service import MAIN_TOKEN, Client, connect, serving

pytestmark = pytest.mark.integration

EVENTS = ["subscribe", "unsubscribe", "resync", "run_now", "job_status_update"]
CODES = {
    "invalid_request",
    "unknown_event",
    "not_found",
    "forbidden",
    "not_running",
    "server_unreachable",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Requests of the right shape with hostile values reach deeper than random ones.
shaped = st.fixed_dictionaries(
    {},
    optional={
        key: json_values | st.integers(min_value=-(2**63), max_value=2**63) | st.just("main")
        for key in ["server", "jobs", "job", "run", "percent", "message", "epoch", "seq"]
    },
)


@pytest_asyncio.fixture
async def two_clients(cluster: Cluster, tmp_path: Path) -> AsyncIterator[tuple[Client, Client]]:
    async with serving(
        {"main": cluster.conninfo()}, tmp_path / "s.toml", rate_messages="100000/second"
    ) as service:
        hostile = await connect(service.url, {"token": MAIN_TOKEN})
        calm = await connect(service.url, {"token": MAIN_TOKEN})
        yield hostile, calm
        await hostile.sio.disconnect()
        await calm.sio.disconnect()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(event=st.sampled_from(EVENTS) | st.text(max_size=30), data=shaped | json_values)
async def test_no_message_crashes_the_namespace(
    two_clients: tuple[Client, Client], event: str, data: Any
) -> None:
    hostile, calm = two_clients
    if event in ("connect", "disconnect", "message"):
        event = "x" + event
    answer = await hostile.ask(event, data)

    assert isinstance(answer, dict)
    if answer["ok"] is not True:
        assert answer["ok"] is False
        assert answer["error"]["code"] in CODES, answer
        assert isinstance(answer["error"]["message"], str)
    assert hostile.sio.connected
    assert (await calm.ask("resync", {}))["ok"]


@pytest.fixture(scope="module")
def served_in_thread(postgresql_installed: None) -> Iterator[str]:
    """The service on its own loop in a thread, for the synchronous schemathesis tests."""
    from pgagent_live.demo.cluster import Cluster as OwnCluster

    path = make_reachable_dir()
    started = threading.Event()
    stop = threading.Event()
    url: list[str] = []

    async def main(conninfo: str) -> None:
        async with serving({"main": conninfo}, path / "s.toml", rate_calls="100000/minute") as s:
            url.append(s.url)
            started.set()
            while not stop.is_set():
                await asyncio.sleep(0.1)

    with OwnCluster(path / "cluster") as cluster:
        cluster.ensure_pgagent()
        thread = threading.Thread(target=asyncio.run, args=(main(cluster.conninfo()),))
        thread.start()
        assert started.wait(60)
        try:
            yield url[0]
        finally:
            stop.set()
            thread.join(30)


def test_the_rest_api_answers_any_request_without_a_server_error(served_in_thread: str) -> None:
    auth = {"Authorization": f"Bearer {MAIN_TOKEN}"}
    schema = schemathesis.openapi.from_url(f"{served_in_thread}/api/v1/openapi.json", headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 5

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            response = case.call(headers=auth)
            # An unreachable database is a 503 by design; a 500 is a bug.
            assert response.status_code < 500 or response.status_code == 503, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
            )

        call()
