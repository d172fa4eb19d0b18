"""The page through a service restart, failures, hostile text and a large tree, in chromium."""

from collections.abc import Iterator

import psycopg
import pytest
from playwright.async_api import Locator, Page, expect

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from tests.e2e.test_views import snap
from tests.live_service import TOKEN, free_port, running_service
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

WAIT_MS = 60_000
HOSTILE = "<img src=x onerror=alert(1)>"
BULK_JOBS = 2000


def latest_run(conninfo: str, job_id: int) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT max(jlgid) FROM pgagent.pga_joblog WHERE jlgjobid = %s", (job_id,)
        ).fetchone()
    assert row is not None
    run_id: int | None = row[0]
    assert run_id is not None, f"expected a run of job {job_id}, found none"
    return run_id


def history_entries(page: Page, title: str, run_id: int) -> Locator:
    """The notification history's entries of one run with the given title."""
    return page.locator("#history .history-entry").filter(
        has=page.locator("strong", has_text=title), has_text=f"run {run_id}"
    )


def rename(conninfo: str, job_id: int, name: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE pgagent.pga_job SET jobname = %s WHERE jobid = %s", (name, job_id))


async def test_a_service_restarted_under_the_page_duplicates_no_notification(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo,
        "restart: across",
        [
            StepSpec("1 wait", "sql", "SELECT pg_sleep(5)"),
            StepSpec("2 wait", "sql", "SELECT pg_sleep(5)"),
        ],
    )
    port = free_port()
    # Notifications stay until dismissed, so that a second one of a run would be seen.
    keep = {"notification_duration": 0}
    node = page.locator(f'li.job[data-server-id="main"][data-job-id="{job_id}"]')
    state = page.locator("#connection-state")

    async with running_service({"main": conninfo}, port=port, **keep) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        run_job_now(conninfo, job_id)
        await expect(node).to_have_attribute("data-status", "running", timeout=WAIT_MS)
        started = page.locator(f'.notification[data-type="job_started"][data-job-id="{job_id}"]')
        await expect(started).to_have_count(1, timeout=WAIT_MS)
        run_id = latest_run(conninfo, job_id)

    await expect(state).not_to_have_attribute("data-state", "live", timeout=WAIT_MS)

    async with running_service({"main": conninfo}, port=port, **keep):
        await expect(state).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
        succeeded = page.locator(
            f'.notification[data-type="job_succeeded"][data-job-id="{job_id}"]'
        )
        await expect(succeeded).to_have_count(1, timeout=WAIT_MS)
        # Whatever the new service sends again of the run (a snapshot, a replay), give it time.
        await page.wait_for_timeout(3000)
        await snap(page, "resilience-restarted")

        await expect(succeeded).to_have_count(1)
        await expect(history_entries(page, "Job started", run_id)).to_have_count(1)
        await expect(history_entries(page, "Job succeeded", run_id)).to_have_count(1)

        # And the page is live again: the next run is seen, and told once.
        run_job_now(conninfo, job_id)
        next_run = page.locator(
            f'.notification[data-type="job_started"][data-job-id="{job_id}"]'
            f':not([data-run-id="{run_id}"])'
        )
        await expect(next_run).to_have_count(1, timeout=WAIT_MS)


async def test_a_failure_stays_and_its_refresh_button_reloads_the_node(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "failing: divide", [StepSpec("boom", "sql", "SELECT 1/0")])

    async with running_service({"main": conninfo}, notification_duration=1000) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-job-id="{job_id}"]')
        await expect(node).to_be_visible(timeout=WAIT_MS)

        run_job_now(conninfo, job_id)
        failure = page.locator(f'.notification[data-type="job_failed"][data-job-id="{job_id}"]')
        await expect(failure).to_be_visible(timeout=WAIT_MS)
        await expect(failure).to_contain_text("division by zero")
        await expect(node).to_have_attribute("data-status", "failed")

        # A failure outlives the notification duration (1 s here).
        await page.wait_for_timeout(2500)
        await expect(failure).to_be_visible()

        rename(conninfo, job_id, "failing: renamed")
        await failure.locator("button.notification-refresh").click()
        await expect(node.locator(".job-name")).to_have_text("failing: renamed", timeout=WAIT_MS)
        await expect(node.locator(".job-note")).to_have_text("Refreshed.")
        await snap(page, "resilience-failure-refresh")

        await failure.locator("button.notification-close").click()
        await expect(failure).to_have_count(0)


async def test_hostile_text_is_shown_as_text_in_the_tree_details_and_history(
    cluster: Cluster, agent: Agent, page: Page
) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(
        conninfo, "hostile: texts", [StepSpec(HOSTILE, "batch", f"echo '{HOSTILE}'")]
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("UPDATE pgagent.pga_job SET jobdesc = %s WHERE jobid = %s", (HOSTILE, job_id))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))

    async with running_service({"main": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-job-id="{job_id}"]')

        # Run only once the page is live, or the run may end before it listens.
        await expect(node).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#connection-state")).to_have_attribute(
            "data-state", "live", timeout=WAIT_MS
        )
        run_job_now(conninfo, job_id)
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)

        # The tree: the step under the job, opened.
        await node.locator(".node-row > button.toggle").first.click()
        await expect(node.locator(".step-name")).to_have_text(HOSTILE, timeout=WAIT_MS)

        # The details: the description among the properties.
        await node.locator(".job-name").click()
        details = page.locator("#details")
        await expect(details.locator(".facts")).to_contain_text(HOSTILE)
        await expect(details.locator(".facts")).to_contain_text("Class")
        await expect(details.locator(".facts")).not_to_contain_text("Not told by the service")
        await expect(details.locator(".facts")).not_to_contain_text("Loading")

        # The run history: the step's name and its output.
        await details.locator('button[data-tab="statistics"]').click()
        run = details.locator(".run").first
        await run.locator("summary").click()
        step = run.locator("tr.step-run").first
        await expect(step.locator(".step-run-name")).to_have_text(HOSTILE, timeout=WAIT_MS)
        await expect(step.locator(".output")).to_contain_text(HOSTILE)

        await page.locator("#history-toggle").click()
        await expect(page.locator("#history")).to_contain_text("hostile: texts")
        await snap(page, "resilience-hostile")

    assert await page.locator("img").count() == 0
    assert dialogs == []


@pytest.fixture
def bulk_jobs(cluster: Cluster) -> Iterator[list[int]]:
    """2,000 jobs made at once, the last of them with a step; all removed afterwards."""
    conninfo = cluster.conninfo()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "INSERT INTO pgagent.pga_job (jobjclid, jobname, jobenabled)"
            " SELECT (SELECT min(jclid) FROM pgagent.pga_jobclass),"
            "        format('bulk %%s', lpad(i::text, 4, '0')), true"
            " FROM generate_series(1, %s) AS i RETURNING jobid",
            (BULK_JOBS,),
        ).fetchall()
        ids = sorted(row[0] for row in rows)
        conn.execute(
            "INSERT INTO pgagent.pga_jobstep (jstjobid, jstname, jstkind, jstcode, jstdbname)"
            " VALUES (%s, 'only', 's', 'SELECT 1', current_database())",
            (ids[-1],),
        )
    yield ids
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DELETE FROM pgagent.pga_job WHERE jobid = ANY(%s)", (ids,))


async def test_a_tree_of_2000_jobs_draws_and_stays_usable(
    cluster: Cluster, agent: Agent, page: Page, bulk_jobs: list[int]
) -> None:
    conninfo = cluster.conninfo()
    deep = bulk_jobs[-1]

    async with running_service({"main": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        bulk = page.locator("li.job").filter(has=page.locator(".job-name", has_text="bulk "))
        await expect(bulk).to_have_count(BULK_JOBS, timeout=WAIT_MS)

        node = page.locator(f'li.job[data-job-id="{deep}"]')
        await node.locator(".job-name").scroll_into_view_if_needed()
        await node.locator(".job-name").click()
        await expect(page.locator("#details .details-title")).to_have_text(f"bulk {BULK_JOBS}")
        await expect(node).to_have_attribute("aria-selected", "true")

        rename(conninfo, deep, "bulk deep, renamed")
        await node.locator(".job-name").click(button="right")
        await page.locator('#menu button[data-action="refresh"]').click()
        await expect(node.locator(".job-name")).to_have_text("bulk deep, renamed", timeout=WAIT_MS)

        # Live events still reach a job deep in the list, and the keyboard still moves.
        await node.locator("button.job-run").click()
        await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
        await node.focus()
        await page.keyboard.press("Home")
        await expect(page.locator('li[data-key="root"]')).to_be_focused()
        await snap(page, "resilience-2000-jobs")


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1280, 800)])
async def test_the_page_is_usable_at_small_sizes(
    cluster: Cluster, agent: Agent, page: Page, width: int, height: int
) -> None:
    conninfo = cluster.conninfo()
    long_name = "layout: a job with a rather long name that has to give way to its buttons"
    job_id = create_job(
        conninfo,
        long_name,
        [StepSpec("1 wait", "sql", "SELECT pg_sleep(4)"), StepSpec("2 fail", "sql", "SELECT 1/0")],
    )
    await page.set_viewport_size({"width": width, "height": height})

    async with running_service({"main": conninfo}, notification_duration=0) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        node = page.locator(f'li.job[data-job-id="{job_id}"]')
        await node.locator(".job-name").click()
        run_job_now(conninfo, job_id)
        await expect(node).to_have_attribute("data-status", "running", timeout=WAIT_MS)
        await expect(page.locator(".notification").first).to_be_visible(timeout=WAIT_MS)
        await assert_one_line(page)
        await assert_clear_of_notifications(page)
        await snap(page, f"layout-{width}x{height}-running")

        await expect(node).to_have_attribute("data-status", "failed", timeout=WAIT_MS)
        await assert_one_line(page)
        await assert_clear_of_notifications(page)
        await snap(page, f"layout-{width}x{height}")


async def assert_one_line(page: Page) -> None:
    """Every job row keeps its buttons on the line of its name, inside the tree's panel."""
    panel = await page.locator("#tree").bounding_box()
    assert panel is not None
    rows = page.locator("li.job > .node-row")
    for index in range(await rows.count()):
        row = rows.nth(index)
        name = await row.locator(".job-name").bounding_box()
        button = await row.locator("button.job-refresh").bounding_box()
        if name is None or button is None:
            continue
        middle = button["y"] + button["height"] / 2
        assert name["y"] <= middle <= name["y"] + name["height"], (
            f"expected the buttons of row {index} on its name's line, found them below"
        )
        assert button["x"] + button["width"] <= panel["x"] + panel["width"], (
            f"expected the buttons of row {index} inside the tree, found them cut off"
        )


async def assert_clear_of_notifications(page: Page) -> None:
    """No notification covers the details panel's title or tabs."""
    covered = [page.locator("#details .details-title"), page.locator("#details .tabs")]
    notes = page.locator(".notification")
    for index in range(await notes.count()):
        note = await notes.nth(index).bounding_box()
        for part in covered:
            box = await part.bounding_box()
            if note is None or box is None:
                continue
            apart = (
                note["x"] >= box["x"] + box["width"]
                or box["x"] >= note["x"] + note["width"]
                or note["y"] >= box["y"] + box["height"]
                or box["y"] >= note["y"] + note["height"]
            )
            assert apart, f"expected notification {index} clear of the details' head, found {note}"


async def test_the_page_follows_agents_coming_and_going_for_its_queued_runs(
    cluster: Cluster, page: Page
) -> None:
    # A database of its own, which no agent watches until this test starts one.
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS e2e_agentless")
        conn.execute("CREATE DATABASE e2e_agentless")
    cluster.ensure_pgagent("e2e_agentless")
    conninfo = cluster.conninfo("e2e_agentless")
    job_id = create_job(conninfo, "agentless: waits", [StepSpec("one", "sql", "SELECT 1")])

    async with running_service({"lonely": conninfo}) as service:
        await page.goto(f"{service.url}/#token={TOKEN}")
        server = page.locator('li.server[data-server-id="lonely"]')
        node = page.locator(f'li.job[data-server-id="lonely"][data-job-id="{job_id}"]')
        await expect(server).to_have_attribute("data-agents", "0", timeout=WAIT_MS)
        await expect(server.locator(".server-agents")).to_contain_text("No pgAgent daemon")
        await node.locator("button.job-run").click()
        await expect(node).to_have_attribute("data-display", "queued", timeout=WAIT_MS)
        await expect(node.locator(".job-step")).to_have_text("queued for agent")
        await expect(node.locator(".job-note")).to_contain_text("No pgAgent daemon is running")
        await snap(page, "resilience-queued-no-agent")

        # The page learns of the agent from agent_online alone (its snapshot said none).
        log = cluster.data_dir / "agentless-pgagent.log"
        with Agent(conninfo, log, poll_seconds=1) as started:
            await expect(server).to_have_attribute("data-agents", "1", timeout=WAIT_MS)
            await expect(node).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
            started.stop()

            # And of its end from agent_offline: a new request is doubted at once.
            await expect(server).to_have_attribute("data-agents", "0", timeout=WAIT_MS)
            await node.locator("button.job-run").click()
            await expect(node.locator(".job-note")).to_contain_text(
                "No pgAgent daemon is running", timeout=WAIT_MS
            )
