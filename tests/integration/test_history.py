"""A job's run history over REST: paged from the newest, with steps and their whole output."""

import httpx
import psycopg
import pytest

from pgagent_live.demo.cluster import Cluster
from tests.live_service import AUTH, running_service
from tests.pgagent_jobs import StepSpec, create_job

pytestmark = pytest.mark.integration


def log_runs(conninfo: str, job_id: int, outputs: list[str]) -> list[int]:
    """Write finished runs into pgAgent's log as the agent would: one per output, oldest first."""
    run_ids = []
    with psycopg.connect(conninfo) as conn:
        (step_id,) = conn.execute(
            "SELECT min(jstid) FROM pgagent.pga_jobstep WHERE jstjobid = %s", (job_id,)
        ).fetchone() or (None,)
        for output in outputs:
            row = conn.execute(
                "INSERT INTO pgagent.pga_joblog (jlgjobid, jlgstatus, jlgstart, jlgduration)"
                " VALUES (%s, 's', now(), interval '2 seconds') RETURNING jlgid",
                (job_id,),
            ).fetchone()
            assert row is not None
            conn.execute(
                "INSERT INTO pgagent.pga_jobsteplog"
                " (jsljlgid, jsljstid, jslstatus, jslresult, jslstart, jslduration, jsloutput)"
                " VALUES (%s, %s, 's', 0, now(), interval '1 second', %s)",
                (row[0], step_id, output),
            )
            run_ids.append(row[0])
    return run_ids


async def test_runs_come_newest_first_one_page_at_a_time(cluster: Cluster) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "history: paged", [StepSpec("only", "batch", "echo")])
    run_ids = log_runs(conninfo, job_id, ["one", "two", "three", "four", "five"])

    async with running_service({"main": conninfo}) as service, httpx.AsyncClient() as http:
        url = f"{service.url}/api/v1/servers/main/jobs/{job_id}/runs"
        first = (await http.get(url, params={"limit": 2}, headers=AUTH)).json()
        second = (
            await http.get(url, params={"limit": 2, "before": first["next_before"]}, headers=AUTH)
        ).json()
        last = (
            await http.get(url, params={"limit": 2, "before": second["next_before"]}, headers=AUTH)
        ).json()

    pages = [first, second, last]
    assert [[run["id"] for run in page["runs"]] for page in pages] == [
        [run_ids[4], run_ids[3]],
        [run_ids[2], run_ids[1]],
        [run_ids[0]],
    ]
    assert last["next_before"] is None
    run = first["runs"][0]
    assert run["status"] == "succeeded"
    assert run["duration"] == 2.0
    assert [(s["name"], s["kind"], s["status"], s["output"]) for s in run["steps"]] == [
        ("only", "batch", "succeeded", "five")
    ]


async def test_a_long_output_is_cut_in_the_page_and_whole_on_demand(cluster: Cluster) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "history: long output", [StepSpec("talk", "batch", "echo")])
    long = "\u00e9" * 3000 + "<script>end</script>"
    (run_id,) = log_runs(conninfo, job_id, [long])

    async with running_service({"main": conninfo}) as service, httpx.AsyncClient() as http:
        api = f"{service.url}/api/v1/servers/main"
        page = (await http.get(f"{api}/jobs/{job_id}/runs", headers=AUTH)).json()
        step = page["runs"][0]["steps"][0]
        output = f"{api}/runs/{{run}}/steps/{step['id']}/output"
        whole = await http.get(output.format(run=run_id), headers=AUTH)
        wrong_run = await http.get(output.format(run=run_id + 1), headers=AUTH)
        # The run history has one way to a step's output, not a second one under the job.
        under_job = await http.get(
            f"{api}/jobs/{job_id}/runs/{run_id}/steps/{step['id']}/output", headers=AUTH
        )

    assert len(step["output"].encode()) <= 2048
    assert long.startswith(step["output"])
    assert step["output_size"] == len(long.encode())
    assert whole.status_code == 200
    assert whole.json()["output"] == long
    assert whole.json()["output_size"] == len(long.encode())
    assert wrong_run.status_code == 404
    assert wrong_run.json()["code"] == "not_found"
    assert under_job.status_code == 404


async def test_unknown_jobs_and_servers_are_said_and_the_token_is_needed(
    cluster: Cluster,
) -> None:
    async with (
        running_service({"main": cluster.conninfo()}) as service,
        httpx.AsyncClient() as http,
    ):
        no_job = await http.get(f"{service.url}/api/v1/servers/main/jobs/999999/runs", headers=AUTH)
        no_server = await http.get(f"{service.url}/api/v1/servers/other/jobs/1/runs", headers=AUTH)
        no_token = await http.get(f"{service.url}/api/v1/servers/main/jobs/1/runs")
        too_many = await http.get(
            f"{service.url}/api/v1/servers/main/jobs/1/runs", params={"limit": 1000}, headers=AUTH
        )

    assert (no_job.status_code, no_job.json()["code"]) == (404, "not_found")
    assert "999999" in no_job.json()["message"]
    assert (no_server.status_code, no_server.json()["code"]) == (404, "not_found")
    assert no_token.status_code == 401
    assert too_many.status_code == 422
