"""The page across gaps: a server that comes up late, runs that end while it is away, a token
that lapses under it; against the real service, daemon and chromium."""

import asyncio
from pathlib import Path

import psycopg
import pytest
from playwright.async_api import Page, expect

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from pgagent_live.security.tokenfile import revoke_token
from tests.e2e.test_views import snap
from tests.live_service import TOKEN, free_port, running_service
from tests.own_cluster import own_cluster, start_agent
from tests.pgagent_jobs import StepSpec, create_job, run_job_now
from tests.security_service import serving

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WAIT_MS = 60_000
# A watcher retries an unreachable server with backoff of up to 30 s.
RECONNECT_WAIT_MS = 120_000


async def wait_until_ended(conninfo: str, job_id: int, timeout: float = 60) -> None:
    """Wait for a run of the job to exist and to have ended."""
    query = (
        "SELECT count(*) FILTER (WHERE jlgstatus <> 'r'), count(*)"
        " FROM pgagent.pga_joblog WHERE jlgjobid = %s"
    )
    async with asyncio.timeout(timeout):
        while True:
            with psycopg.connect(conninfo) as conn:
                row = conn.execute(query, (job_id,)).fetchone()
            assert row is not None
            if row[1] > 0 and row[0] == row[1]:
                return
            await asyncio.sleep(0.2)


async def test_a_server_unreachable_at_start_shows_its_jobs_once_it_comes_up(
    postgresql_installed: None, page: Page
) -> None:
    with own_cluster(agent=False) as own:
        conninfo = own.conninfo
        job_id = create_job(conninfo, "late: server", [StepSpec("one", "sql", "SELECT 1")])
        own.cluster.stop()

        async with running_service({"late": conninfo}) as service:
            await page.goto(f"{service.url}/#token={TOKEN}")
            server = page.locator('li.server[data-server-id="late"]')
            node = page.locator(f'li.job[data-server-id="late"][data-job-id="{job_id}"]')
            await expect(server).to_have_attribute("data-state", "unreachable", timeout=WAIT_MS)
            await expect(server.locator(".server-state")).to_have_text("Unreachable")
            await expect(server.locator(".server-message")).not_to_be_empty()
            await expect(server.locator(".tree-empty")).to_contain_text("once the service has")
            await expect(server.locator(".server-agents")).to_be_hidden()
            await expect(node).to_have_count(0)
            await snap(page, "reconnect-server-unreachable")

            own.cluster.start()
            await expect(server).to_have_attribute("data-state", "live", timeout=RECONNECT_WAIT_MS)
            await expect(node).to_be_visible(timeout=WAIT_MS)
            await expect(node.locator(".job-name")).to_have_text("late: server")
            await expect(server.locator(".server-message")).to_be_hidden()

            # And it is followed live from then on, without a reload.
            start_agent(own)
            run_job_now(conninfo, job_id)
            await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
            await snap(page, "reconnect-server-came-up")


async def test_runs_that_end_while_the_page_is_away_are_told_in_one_summary(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    warm = create_job(conninfo, "away: warm-up", [StepSpec("one", "sql", "SELECT 1")])
    good = create_job(conninfo, "away: works", [StepSpec("one", "sql", "SELECT 1")])
    bad = create_job(conninfo, "away: breaks", [StepSpec("boom", "sql", "SELECT 1/0")])
    port = free_port()
    keep = {"notification_duration": 0}
    state = page.locator("#connection-state")
    summary = page.locator('.notification[data-type="finished_since"]')

    async with running_service({"main": conninfo}, port=port, **keep) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        # An event gives the page the database time it has seen up to.
        run_job_now(conninfo, warm)
        warm_done = page.locator(f'.notification[data-type="job_succeeded"][data-job-id="{warm}"]')
        await expect(warm_done).to_have_count(1, timeout=WAIT_MS)

    await expect(state).not_to_have_attribute("data-state", "live", timeout=WAIT_MS)
    run_job_now(conninfo, good)
    run_job_now(conninfo, bad)
    await wait_until_ended(conninfo, good)
    await wait_until_ended(conninfo, bad)

    async with running_service({"main": conninfo}, port=port, **keep):
        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        await expect(summary).to_have_count(1, timeout=WAIT_MS)
        await expect(summary).to_contain_text("finished while the page was disconnected")
        await expect(summary.locator(".notification-detail")).to_contain_text(
            "Failed: \u201caway: breaks\u201d"
        )
        await expect(summary).to_have_attribute("data-failed", "1")
        node = page.locator(f'li.job[data-server-id="main"][data-job-id="{bad}"]')
        await expect(node).to_have_attribute("data-status", "failed")

        # Given time, nothing tells those runs again, and the warm-up is not among them.
        await page.wait_for_timeout(3000)
        await snap(page, "reconnect-summary")
        await expect(summary).to_have_count(1)
        await expect(summary.locator(".notification-detail")).not_to_contain_text("warm-up")
        for job_id in (good, bad):
            told = page.locator(
                f'.notification[data-job-id="{job_id}"]:not([data-type="job_started"])'
            )
            await expect(told).to_have_count(0)
        history = page.locator("#history .history-entry", has_text="While disconnected")
        await expect(history).to_have_count(1)


async def test_a_revoked_token_ends_the_page_session_in_words(
    cluster: Cluster, page: Page, tmp_path: Path
) -> None:
    async with serving({"main": cluster.conninfo()}, tmp_path / "settings.toml") as service:
        token = service.issue("viewer")
        await asyncio.sleep(0.5)  # the service rereads its tokens file
        await page.goto(f"{service.url}/#token={token}")
        state = page.locator("#connection-state")
        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)

        revoke_token(service.tokens_file, token[4:12])
        message = page.locator("#message")
        await expect(message).to_contain_text("The session has ended", timeout=WAIT_MS)
        await expect(message).to_contain_text("(auth_invalid)")
        await expect(state).to_have_attribute("data-state", "failed")
        await expect(page.locator("#reconnect")).to_be_hidden()
        stored = await page.evaluate("() => sessionStorage.getItem('pgagent-live.token')")
        assert stored is None, f"expected the token forgotten, found {stored!r}"

        # It does not try again: the page stays ended, and a reload has no token to send.
        await page.wait_for_timeout(3000)
        await expect(state).to_have_attribute("data-state", "failed")
        await snap(page, "reconnect-session-ended")
        await page.reload()
        await expect(page.locator("#message")).to_contain_text("needs its access token")


async def test_a_page_cut_off_for_a_while_gets_the_missed_events_once(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "cut off: runs", [StepSpec("one", "sql", "SELECT 1")])
    state = page.locator("#connection-state")
    node = page.locator(f'li.job[data-server-id="main"][data-job-id="{job_id}"]')
    succeeded = page.locator(f'.notification[data-type="job_succeeded"][data-job-id="{job_id}"]')
    history = page.locator("#history .history-entry", has_text="cut off: runs").filter(
        has=page.locator("strong", has_text="Job succeeded")
    )

    async with running_service({"main": conninfo}, notification_duration=0) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        # A first run gives the page an event to resume from.
        run_job_now(conninfo, job_id)
        await expect(succeeded).to_have_count(1, timeout=WAIT_MS)
        await expect(history).to_have_count(1)

        # The network goes; the service keeps running, so the events stay in its window.
        await page.context.set_offline(True)
        await expect(state).not_to_have_attribute("data-state", "live", timeout=WAIT_MS)
        run_job_now(conninfo, job_id)
        async with asyncio.timeout(60):
            while len(runs_of(conninfo, job_id)) < 2 or "r" in runs_of(conninfo, job_id):
                await asyncio.sleep(0.2)
        await page.wait_for_timeout(2000)  # a look or two of the watcher
        await page.context.set_offline(False)

        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        await expect(succeeded).to_have_attribute("data-count", "2", timeout=WAIT_MS)
        await expect(node).to_have_attribute("data-status", "succeeded")
        await page.wait_for_timeout(3000)
        await snap(page, "reconnect-replayed")
        await expect(succeeded).to_have_count(1)
        await expect(history).to_have_count(2)
        # Replayed, not summed up: a summary comes only after a snapshot.
        await expect(page.locator('.notification[data-type="finished_since"]')).to_have_count(0)


def runs_of(conninfo: str, job_id: int) -> list[str]:
    """The status letters of the job's runs."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT jlgstatus FROM pgagent.pga_joblog WHERE jlgjobid = %s", (job_id,)
        ).fetchall()
    return [row[0] for row in rows]
