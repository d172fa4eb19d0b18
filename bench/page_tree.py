"""Prints how long the page takes to draw a large tree and to take in a burst of live runs.

Runs everything for real: a private PostgreSQL cluster with the pgAgent daemon, the service on a
free port, and the built page in Debian's chromium. Figures are printed, never judged: they
depend on the machine. Usage: ``.venv/bin/python bench/page_tree.py [JOBS] [BURST]``
(2,000 and 40 by default). The daemon holds connections for each job it runs at once, so a
burst much larger than 40 meets the cluster's ``max_connections`` rather than the page.
"""

import asyncio
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import psycopg
import uvicorn
from playwright.async_api import Page, async_playwright

from pgagent_live.app import create_app, static_dir
from pgagent_live.config import ServerEntry, Settings
from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
TOKEN = "bench-token"
WAIT_MS = 300_000

# Records the page's long tasks (over 50 ms: what a person feels as a stall) from the start.
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push([entry.startTime, entry.duration]);
}).observe({ type: "longtask", buffered: true });
"""

# Clicks a job's name and resolves with the ms until the frame after it has been drawn.
SELECT = """
(id) => new Promise((resolve) => {
  const started = performance.now();
  document.querySelector(`li.job[data-job-id="${id}"] .job-name`).click();
  requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - started)));
})
"""

# Notes when each job of the burst was first drawn running and then succeeded.
WATCH_BURST = """
(ids) => {
  const wanted = new Set(ids.map(String));
  window.__burst = { firstRunning: null, done: new Map() };
  const look = (node) => {
    const id = node.dataset.jobId;
    if (!wanted.has(id)) return;
    const now = performance.now();
    if (node.dataset.status === "running" && window.__burst.firstRunning === null) {
      window.__burst.firstRunning = now;
    }
    if (node.dataset.status === "succeeded" && !window.__burst.done.has(id)) {
      window.__burst.done.set(id, now);
    }
  };
  new MutationObserver((changes) => {
    for (const change of changes) if (change.target instanceof HTMLElement) look(change.target);
  }).observe(document.getElementById("tree"), {
    attributes: true, attributeFilter: ["data-status"], subtree: true,
  });
}
"""


def make_jobs(conninfo: str, count: int) -> list[int]:
    """``count`` jobs of one quick SQL step each, made by one statement."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "INSERT INTO pgagent.pga_job (jobjclid, jobname, jobenabled)"
            " SELECT (SELECT min(jclid) FROM pgagent.pga_jobclass),"
            "        format('bench %%s', lpad(i::text, 5, '0')), true"
            " FROM generate_series(1, %s) AS i RETURNING jobid",
            (count,),
        ).fetchall()
        ids = sorted(row[0] for row in rows)
        conn.execute(
            "INSERT INTO pgagent.pga_jobstep (jstjobid, jstname, jstkind, jstcode, jstdbname)"
            " SELECT id, 'only', 's', 'SELECT pg_sleep(0.5)', current_database()"
            " FROM unnest(%s::int[]) AS id",
            (ids,),
        )
    return ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def long_tasks_since(page: Page, since: float) -> tuple[int, float]:
    """How many long tasks began after ``since`` (ms), and the longest one's duration."""
    tasks: list[list[float]] = await page.evaluate("window.__longTasks")
    after = [duration for start, duration in tasks if start >= since]
    return len(after), max(after, default=0.0)


async def measure(url: str, conninfo: str, ids: list[int], burst: int) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # The page forbids eval; the waits below need it, and they measure nothing of the page.
        context = await browser.new_context(
            viewport={"width": 1280, "height": 800}, bypass_csp=True
        )
        page = await context.new_page()
        await page.add_init_script(LONG_TASKS)

        await page.goto(f"{url}/#token={TOKEN}")
        await page.wait_for_function(
            f"document.querySelectorAll('li.job').length >= {len(ids)}", timeout=WAIT_MS
        )
        drawn: float = await page.evaluate("performance.now()")
        count, longest = await long_tasks_since(page, 0)
        print(f"snapshot of {len(ids)} jobs drawn {drawn:,.0f} ms after navigation")
        print(f"  {count} long tasks while loading, the longest {longest:,.0f} ms")

        await page.locator(f'li.job[data-job-id="{ids[-1]}"]').scroll_into_view_if_needed()
        took: float = await page.evaluate(SELECT, ids[-1])
        print(f"selecting the last job drew its details by the next frame in {took:,.0f} ms")

        chosen = ids[:burst]
        before: float = await page.evaluate("performance.now()")
        await page.evaluate(WATCH_BURST, chosen)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(
                "UPDATE pgagent.pga_job SET jobnextrun = now() WHERE jobid = ANY(%s)", (chosen,)
            )
        await page.wait_for_function(
            f"window.__burst.done.size >= {len(chosen)}", timeout=WAIT_MS, polling=100
        )
        first, last = await page.evaluate(
            "[window.__burst.firstRunning, Math.max(...window.__burst.done.values())]"
        )
        count, longest = await long_tasks_since(page, before)
        print(f"burst of {len(chosen)} runs (5 events each, the agent runs them in parallel):")
        print(f"  first drawn running to last drawn succeeded: {(last - first) / 1000:.2f} s")
        print(f"  {count} long tasks meanwhile, the longest {longest:,.0f} ms")
        await browser.close()


async def serve_and_measure(conninfo: str, ids: list[int], burst: int) -> None:
    port = free_port()
    settings = Settings(
        websocket_port=port,
        poll_interval=0.5,
        servers={"bench": ServerEntry(conninfo=conninfo)},
    )
    config = uvicorn.Config(
        create_app(settings, TOKEN), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        await measure(f"http://127.0.0.1:{port}", conninfo, ids, burst)
    finally:
        server.should_exit = True
        await task


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    burst = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    if not (static_dir() / "app.js").exists():
        sys.exit("expected the built page in the package: run 'make build'")

    # The postgres user must reach the directory when this runs as root.
    path = Path(tempfile.mkdtemp(prefix="pgagent-live-bench-", dir="/tmp"))
    path.chmod(0o755)
    try:
        with Cluster(path / "cluster") as cluster:
            cluster.ensure_pgagent()
            conninfo = cluster.conninfo()
            ids = make_jobs(conninfo, jobs)
            with Agent(conninfo, path / "pgagent.log", poll_seconds=1):
                asyncio.run(serve_and_measure(conninfo, ids, min(burst, jobs)))
    finally:
        shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
