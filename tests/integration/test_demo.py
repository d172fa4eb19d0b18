"""The demo's private cluster, the real agent and the sample jobs, against the real programs."""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pgagent_live.demo.agent import Agent
from pgagent_live.demo.cluster import Cluster
from pgagent_live.demo.environment import demo_environment
from pgagent_live.demo.samples import SAMPLE_JOBS
from tests.pgagent_jobs import StepSpec, create_job, run_job_now

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("postgresql_installed")]


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"expected {what} within {timeout:g} s, found it still waiting")
        time.sleep(0.2)


def processes_using(path: Path) -> list[int]:
    """Processes whose command line names ``path`` or whose working directory is inside it."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if os.fsencode(path) in cmdline or Path(cwd).is_relative_to(path):
            found.append(int(proc.name))
    return found


def newest_runs(conninfo: str, job_ids: list[int]) -> dict[int, int]:
    """The newest ``jlgid`` of each job, 0 when it never ran."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT jobid, coalesce(max(jlgid), 0) FROM pgagent.pga_job"
            " LEFT JOIN pgagent.pga_joblog ON jlgjobid = jobid"
            " WHERE jobid = ANY(%s) GROUP BY jobid",
            (job_ids,),
        ).fetchall()
    return {job_id: jlgid for job_id, jlgid in rows}


def test_cluster_starts_stops_and_restarts_on_the_same_files(reachable_tmp_path: Path) -> None:
    cluster = Cluster(reachable_tmp_path / "demo")

    with cluster, psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (id int)")
    cluster.stop()

    assert not cluster.running
    with cluster:
        assert cluster.running
        with psycopg.connect(cluster.conninfo()) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)
    assert not cluster.running


def test_cluster_with_a_long_path_puts_its_socket_under_tmp(reachable_tmp_path: Path) -> None:
    cluster = Cluster(reachable_tmp_path / ("long-" * 20))

    with cluster, psycopg.connect(cluster.conninfo()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)

    assert not cluster.socket_dir.is_relative_to(reachable_tmp_path)
    shutil.rmtree(cluster.socket_dir)


@pytest.mark.parametrize("pid_file", ["left by the killed server", "naming a reaped process"])
def test_cluster_starts_over_a_stale_pid_file(reachable_tmp_path: Path, pid_file: str) -> None:
    cluster = Cluster(reachable_tmp_path / "demo")
    pid_path = cluster.pgdata / "postmaster.pid"
    with cluster:
        postmaster = int(pid_path.read_text().split("\n", 1)[0])
        os.kill(postmaster, signal.SIGKILL)
        wait_for("the postmaster to be gone", lambda: not cluster.running)

    assert pid_path.exists()
    if pid_file == "naming a reaped process":
        with subprocess.Popen(["true"]) as reaped:
            reaped.wait()
        lines = pid_path.read_text().split("\n")
        pid_path.write_text("\n".join([str(reaped.pid), *lines[1:]]))

    with cluster, psycopg.connect(cluster.conninfo()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_agent_registers_and_runs_a_sql_job(cluster: Cluster, agent: Agent) -> None:
    conninfo = cluster.conninfo()
    job_id = create_job(conninfo, "test: select one", [StepSpec("1 select", "sql", "SELECT 1")])

    run_job_now(conninfo, job_id)

    with psycopg.connect(conninfo, autocommit=True) as conn:
        agents = conn.execute("SELECT jagpid FROM pgagent.pga_jobagent").fetchall()
        assert (agent.jagpid,) in agents

        def finished() -> bool:
            row = conn.execute(
                "SELECT jlgstatus FROM pgagent.pga_joblog WHERE jlgjobid = %s", (job_id,)
            ).fetchone()
            return row is not None and row[0] != "r"

        wait_for("the job to finish", finished)
        run = conn.execute(
            "SELECT jlgstatus, jslstatus, jslresult FROM pgagent.pga_joblog"
            " JOIN pgagent.pga_jobsteplog ON jsljlgid = jlgid WHERE jlgjobid = %s",
            (job_id,),
        ).fetchall()
    assert run == [("s", "s", 1)]
    assert agent.alive


def test_demo_environment_reuses_its_jobs_and_runs_them_at_each_start(
    reachable_tmp_path: Path,
) -> None:
    seen: dict[int, int] = {}

    for _ in range(2):
        with demo_environment(reachable_tmp_path) as demo:
            assert len(demo.job_ids) == len(SAMPLE_JOBS)
            assert not seen or sorted(seen) == sorted(demo.job_ids)
            before = seen or dict.fromkeys(demo.job_ids, 0)

            def all_ran(conninfo: str = demo.conninfo, before: dict[int, int] = before) -> bool:
                now = newest_runs(conninfo, list(before))
                return all(now[job_id] > before[job_id] for job_id in before)

            wait_for("a new run of every sample job", all_ran)
            seen = newest_runs(demo.conninfo, demo.job_ids)
            with psycopg.connect(demo.conninfo) as conn:
                names = conn.execute("SELECT jobname FROM pgagent.pga_job").fetchall()
            assert sorted(names) == sorted((job.name,) for job in SAMPLE_JOBS)

        assert processes_using(reachable_tmp_path) == []


def test_demo_environment_stops_everything_on_keyboard_interrupt(reachable_tmp_path: Path) -> None:
    def interrupted() -> None:
        with demo_environment(reachable_tmp_path) as demo:
            assert demo.agent.alive
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()

    assert processes_using(reachable_tmp_path) == []


def test_cluster_listens_on_its_private_socket_only(cluster: Cluster) -> None:
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", cluster.port))

    assert cluster.socket_dir.stat().st_mode & 0o077 == 0
