"""The page's views against the real service and daemon: details, history, menus, F5, proxies."""

from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from playwright.async_api import Page, expect

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.nginx import nginx_proxy
from tests.live_service import TOKEN, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WAIT_MS = 60_000


async def snap(page: Page, name: str) -> None:
    """A screenshot while the service still runs (the fixture's own comes after it stopped)."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=Path(ARTIFACTS) / f"{name}.png", full_page=True)


async def test_a_run_from_the_menu_is_followed_live_into_the_history_with_its_output(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo,
        "views: two steps",
        [
            StepSpec("1 wait", "sql", "SELECT pg_sleep(3)"),
            StepSpec("2 count", "batch", "seq 1 1500"),
        ],
    )

    async with running_service({"main": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-server-id="main"][data-job-id="{job_id}"]')
        await node.locator(".job-name").click()
        await expect(page.locator("#details .details-title")).to_have_text("views: two steps")
        await expect(page.locator("#details")).to_contain_text(f"ID{job_id}")

        await node.locator(".job-name").click(button="right")
        await page.locator('#menu button[data-action="run"]').click()
        await expect(node).to_have_attribute("data-status", "running", timeout=WAIT_MS)
        await expect(node.locator(".job-step")).to_contain_text("of 2", timeout=WAIT_MS)
        await expect(node.locator(".job-elapsed")).not_to_be_empty(timeout=WAIT_MS)
        await snap(page, "views-running")
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)

        await page.locator('#details button[data-tab="statistics"]').click()
        run = page.locator("#details .run").first
        await expect(run).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
        await run.locator("summary").click()
        await expect(run.locator("tr.step-run")).to_have_count(2)
        count = run.locator("tr.step-run").nth(1)
        await expect(count.locator(".output")).to_contain_text("1\n2\n3")
        await count.locator("button.output-full").click()
        await expect(count.locator(".output")).to_contain_text("1499\n1500", timeout=WAIT_MS)
        await snap(page, "views-history")

        # F5 comes back to the same job, tab and selection.
        await page.reload()
        await expect(page.locator("#details .details-title")).to_have_text(
            "views: two steps", timeout=WAIT_MS
        )
        await expect(page.locator('#details button[data-tab="statistics"]')).to_have_attribute(
            "aria-selected", "true"
        )
        await expect(node).to_have_attribute("aria-selected", "true")


async def test_the_menu_refreshes_a_node_by_mouse_and_keyboard_and_says_when_it_is_gone(
    cluster: Cluster, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "views: to rename", [StepSpec("one", "sql", "SELECT 1")])

    async with running_service({"main": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-job-id="{job_id}"]')
        await expect(node).to_be_visible(timeout=WAIT_MS)

        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(
                "UPDATE pgagent.pga_job SET jobname = 'views: renamed' WHERE jobid = %s", (job_id,)
            )
        await node.locator(".job-name").click(button="right")
        await page.locator('#menu button[data-action="refresh"]').click()
        await expect(node.locator(".job-name")).to_have_text("views: renamed", timeout=WAIT_MS)

        # The menu opens first: the watcher may take the deleted job out of the tree at any time.
        await node.focus()
        await page.keyboard.press("Shift+F10")
        await expect(page.locator("#menu")).to_be_visible()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("DELETE FROM pgagent.pga_job WHERE jobid = %s", (job_id,))
        await page.keyboard.press("Enter")
        missing = page.locator(f'li.job[data-job-id="{job_id}"][data-missing="true"]')
        # The refresh says in words that the job is gone, whether or not the watcher took it
        # out of the tree first; a node left in the tree is marked.
        failed = page.locator(f'.notification[data-type="action_failed"][data-job-id="{job_id}"]')
        await expect(failed).to_contain_text("no longer exists", timeout=WAIT_MS)
        taken_out = page.locator(f'body:not(:has(li.job[data-job-id="{job_id}"]))')
        await expect(missing.or_(taken_out)).to_have_count(1, timeout=WAIT_MS)
        await snap(page, "views-menu-refresh")


@pytest.mark.parametrize("websocket", [True, False], ids=["upgrade", "no-upgrade"])
async def test_behind_nginx_under_a_sub_path(
    cluster: Cluster, agent: Agent, page: Page, websocket: bool
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "views: proxied", [StepSpec("one", "sql", "SELECT 1")])

    async with running_service({"main": conninfo}, url_prefix="/sub") as service:
        port = urlsplit(service.url).port
        assert port is not None
        with nginx_proxy(port, "/sub", websocket=websocket) as origin:
            await page.goto(f"{origin}/sub/#token={TOKEN}")
            node = page.locator(f'li.job[data-job-id="{job_id}"]')
            await expect(node).to_be_visible(timeout=WAIT_MS)
            state = page.locator("#connection-state")
            await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
            transport = "websocket" if websocket else "polling"
            await expect(state).to_have_attribute("data-transport", transport, timeout=WAIT_MS)
            if not websocket:
                await expect(state).to_contain_text("long-polling")

            run_job_now(conninfo, job_id)
            await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
            await snap(page, f"views-nginx-{transport}")


async def test_with_websocket_off_the_page_polls_and_says_so(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "views: polled", [StepSpec("one", "sql", "SELECT 1")])

    async with running_service({"main": conninfo}, websocket_enabled=False) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-job-id="{job_id}"]')
        await expect(node).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#connection-state")).to_have_attribute("data-state", "polling")

        run_job_now(conninfo, job_id)
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
        await snap(page, "views-polling")
