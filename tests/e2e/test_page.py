"""The built page in headless chromium shows real runs of the real pgAgent daemon live."""

import psycopg
import pytest
from playwright.async_api import Page, expect

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.live_service import TOKEN, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WAIT_MS = 60_000


async def test_a_run_turns_its_badge_running_then_succeeded_with_a_notification(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "page: slow", [StepSpec("wait", "sql", "SELECT pg_sleep(3)")])

    async with running_service({"main": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'[data-server-id="main"][data-job-id="{job_id}"]')
        await expect(node).to_be_visible(timeout=WAIT_MS)
        assert "token" not in page.url

        run_job_now(conninfo, job_id)
        await expect(node).to_have_attribute("data-status", "running", timeout=WAIT_MS)
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)

        notification = page.locator(
            f'.notification[data-type="job_succeeded"][data-job-id="{job_id}"]'
        )
        await expect(notification).to_be_visible(timeout=WAIT_MS)

        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(
                "UPDATE pgagent.pga_job SET jobname = 'page: renamed' WHERE jobid = %s", (job_id,)
            )
        await notification.locator("button.notification-refresh").click()
        await expect(node.locator(".job-name")).to_have_text("page: renamed", timeout=WAIT_MS)


async def test_a_hostile_job_name_is_shown_as_text(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    hostile = "<img src=x onerror=alert(1)>"
    job_id = create_job(conninfo, hostile, [StepSpec("one", "sql", "SELECT 1")])
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    async with running_service({"main": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-job-id="{job_id}"]')
        await expect(node.locator(".job-name")).to_have_text(hostile, timeout=WAIT_MS)

        run_job_now(conninfo, job_id)
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)

    assert await page.locator("img").count() == 0
    assert dialogs == []


async def test_a_wrong_token_is_said_in_words(cluster: Cluster, page: Page) -> None:
    async with running_service({"main": cluster.conninfo()}) as service:
        await page.goto(f"{service.url}/#token=wrong")

        await expect(page.locator("body")).to_contain_text("not valid", timeout=WAIT_MS)
