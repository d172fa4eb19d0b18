"""Rate limits, the message size limit, origins, headers and TLS of the running service."""

import asyncio
import json
import logging
import ssl
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from pgagent_live.demo.cluster import Cluster
from tests.security_service import MAIN_TOKEN, connect, refusal, serving

pytestmark = pytest.mark.integration


def code(refused: Any) -> str:
    return str(refused["data"]["code"])


async def test_a_flood_of_connections_is_refused_per_address(
    cluster: Cluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(
        {"main": cluster.conninfo()}, tmp_path / "s.toml", rate_connect="3/minute"
    ) as service:
        clients = [await connect(service.url, {"token": MAIN_TOKEN}) for _ in range(3)]
        refused = await refusal(service.url, {"token": MAIN_TOKEN})
        assert code(refused) == "rate_limited"

        # A forwarded address counts for nothing unless it comes from a trusted proxy.
        spoofed = await refusal(
            service.url, {"token": MAIN_TOKEN}, headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert code(spoofed) == "rate_limited"
        assert all(client.sio.connected for client in clients)
        for client in clients:
            await client.sio.disconnect()
    assert caplog.text.count("rate limit of connect hit by 127.0.0.1") == 1


async def test_a_trusted_proxy_forwards_the_client_address(
    cluster: Cluster, tmp_path: Path
) -> None:
    async with serving(
        {"main": cluster.conninfo()},
        tmp_path / "s.toml",
        rate_connect="2/minute",
        trusted_proxies=["127.0.0.1"],
    ) as service:
        clients = [
            await connect(
                service.url, {"token": MAIN_TOKEN}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
            )
            for i in range(4)
        ]
        for client in clients:
            await client.sio.disconnect()
        for _ in range(2):
            await (
                await connect(
                    service.url, {"token": MAIN_TOKEN}, headers={"X-Forwarded-For": "198.51.100.1"}
                )
            ).sio.disconnect()
        refused = await refusal(
            service.url, {"token": MAIN_TOKEN}, headers={"X-Forwarded-For": "198.51.100.1"}
        )
        assert code(refused) == "rate_limited"


async def test_a_flood_of_messages_is_refused_to_that_socket_only(
    cluster: Cluster, tmp_path: Path
) -> None:
    async with serving(
        {"main": cluster.conninfo()}, tmp_path / "s.toml", rate_messages="5/minute"
    ) as service:
        flooder = await connect(service.url, {"token": MAIN_TOKEN})
        calm = await connect(service.url, {"token": MAIN_TOKEN})
        try:
            answers = [await flooder.ask("resync", {}) for _ in range(8)]
            assert [a["ok"] for a in answers] == [True] * 5 + [False] * 3
            assert {a["error"]["code"] for a in answers[5:]} == {"rate_limited"}
            assert (await calm.ask("resync", {}))["ok"]
            assert flooder.sio.connected
        finally:
            await flooder.sio.disconnect()
            await calm.sio.disconnect()


async def test_an_oversized_message_closes_only_its_socket(
    cluster: Cluster, tmp_path: Path
) -> None:
    async with serving(
        {"main": cluster.conninfo()}, tmp_path / "s.toml", max_message_bytes=4096
    ) as service:
        big = await connect(service.url, {"token": MAIN_TOKEN})
        other = await connect(service.url, {"token": MAIN_TOKEN})
        try:
            fits = await big.ask("subscribe", {"server": "main", "jobs": list(range(1, 400))})
            assert fits["ok"]
            await big.sio.emit("subscribe", {"server": "x" * 5000}, namespace="/pgagent")
            async with asyncio.timeout(10):
                await big.disconnected.wait()
            assert (await other.ask("resync", {}))["ok"]
        finally:
            await big.sio.disconnect()
            await other.sio.disconnect()


async def test_unknown_and_malformed_requests_get_clear_errors(
    cluster: Cluster, tmp_path: Path
) -> None:
    async with serving({"main": cluster.conninfo()}, tmp_path / "s.toml") as service:
        client = await connect(service.url, {"token": MAIN_TOKEN})
        try:
            unknown = await client.ask("drop_tables", {})
            assert unknown["error"]["code"] == "unknown_event"
            for event, data in [
                ("subscribe", None),
                ("subscribe", {"server": "main", "jobs": "all"}),
                ("subscribe", {"server": "main", "extra": 1}),
                ("run_now", {"server": "main", "job": "1; DROP TABLE x"}),
                ("run_now", {"server": "main", "job": True}),
                ("job_status_update", {"server": "main", "job": 1, "run": 1, "percent": 101}),
                (
                    "job_status_update",
                    {"server": "main", "job": 1, "run": 1, "message": "a\x1b[2J"},
                ),
                ("resync", {"seq": -1}),
            ]:
                answer = await client.ask(event, data)
                assert answer["ok"] is False, (event, data)
                assert answer["error"]["code"] == "invalid_request", (event, answer)
                assert answer["error"]["message"].startswith("expected "), answer

            # Events named like the namespace's own cannot replay a connect or a disconnect.
            assert (await client.ask("connect", {"token": "x"}))["error"][
                "code"
            ] == "invalid_request"
            assert (await client.ask("disconnect", "x"))["error"]["code"] == "invalid_request"
            assert (await client.ask("resync", {}))["ok"]
        finally:
            await client.sio.disconnect()


async def test_a_foreign_origin_is_refused(
    cluster: Cluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving({"main": cluster.conninfo()}, tmp_path / "s.toml") as service:
        port = service.url.rsplit(":", 1)[1]
        own = await connect(
            service.url, {"token": MAIN_TOKEN}, headers={"Origin": f"http://127.0.0.1:{port}"}
        )
        await own.sio.disconnect()
        refused = await refusal(
            service.url, {"token": MAIN_TOKEN}, headers={"Origin": "http://evil.example"}
        )
        assert refused == "Connection error"

        async with service.rest(MAIN_TOKEN, headers={"Origin": "http://evil.example"}) as rest:
            answer = await rest.get("/api/v1/servers")
            assert "access-control-allow-origin" not in answer.headers

    async with serving(
        {"main": cluster.conninfo()},
        tmp_path / "t.toml",
        allowed_origins=["https://jobs.example.org"],
    ) as service:
        port = service.url.rsplit(":", 1)[1]
        public = await connect(
            service.url, {"token": MAIN_TOKEN}, headers={"Origin": "https://jobs.example.org"}
        )
        await public.sio.disconnect()
        refused = await refusal(
            service.url, {"token": MAIN_TOKEN}, headers={"Origin": f"http://127.0.0.1:{port}"}
        )
        assert refused == "Connection error"
        async with service.rest(MAIN_TOKEN) as rest:
            preflight = await rest.options(
                "/api/v1/servers",
                headers={
                    "Origin": "https://jobs.example.org",
                    "Access-Control-Request-Method": "GET",
                    "Access-Control-Request-Headers": "authorization",
                },
            )
            assert preflight.headers["access-control-allow-origin"] == "https://jobs.example.org"
            foreign = await rest.get("/api/v1/servers", headers={"Origin": "http://evil.example"})
            assert "access-control-allow-origin" not in foreign.headers

    refusals = [r.getMessage() for r in caplog.records if "not allowed" in r.getMessage()]
    assert refusals == [
        "socket refused from 127.0.0.1: origin 'http://evil.example' not allowed",
        f"socket refused from 127.0.0.1: origin 'http://127.0.0.1:{port}' not allowed",
    ]


async def test_responses_carry_strict_headers(cluster: Cluster, tmp_path: Path) -> None:
    async with serving({"main": cluster.conninfo()}, tmp_path / "s.toml") as service:
        rest = service.rest(MAIN_TOKEN)
        for path in ["/", "/api/v1/servers", "/api/v1/nothing"]:
            headers = (await rest.get(path)).headers
            csp = headers["content-security-policy"]
            assert "default-src 'self'" in csp
            assert "frame-ancestors 'none'" in csp
            assert headers["x-content-type-options"] == "nosniff"
        assert (await rest.get("/api/v1/servers")).headers["cache-control"] == "no-store"
        await rest.aclose()


async def test_rest_calls_are_limited_per_token(cluster: Cluster, tmp_path: Path) -> None:
    async with serving(
        {"main": cluster.conninfo()}, tmp_path / "s.toml", rate_calls="4/minute"
    ) as service:
        other = service.issue("viewer")
        await asyncio.sleep(0.5)
        async with service.rest(MAIN_TOKEN) as rest, service.rest(other) as calm:
            codes = [(await rest.get("/api/v1/servers")).status_code for _ in range(6)]
            assert codes == [200] * 4 + [429] * 2
            assert (await rest.get("/api/v1/servers")).json()["code"] == "rate_limited"
            assert (await calm.get("/api/v1/servers")).status_code == 200


async def test_tls_serves_https_and_wss(cluster: Cluster, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: ASYNC221 - a one-off certificate before anything is served
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    async with serving(
        {"main": cluster.conninfo()}, tmp_path / "s.toml", tls_cert=cert, tls_key=key
    ) as service:
        assert service.url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(cert))
        async with service.rest(MAIN_TOKEN, verify=trust) as rest:
            answer = await rest.get("/api/v1/servers")
            assert answer.status_code == 200
            assert answer.headers["strict-transport-security"].startswith("max-age=")
        with pytest.raises(httpx.TransportError):
            async with httpx.AsyncClient() as plain:
                await plain.get(service.url.replace("https", "http") + "/api/v1/servers")

        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust))
        client = await connect(service.url, {"token": MAIN_TOKEN}, client={"http_session": session})
        try:
            await client.wait_for(lambda: bool(client.snapshots))
            assert json.dumps(client.snapshots[0])
        finally:
            await client.sio.disconnect()
            await session.close()
