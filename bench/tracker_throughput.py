"""Prints how many runs per second the tracker turns into events, for runs of three steps."""

import time
from datetime import UTC, datetime, timedelta

from pgagent_live.pgagent.rows import JobRow, RunRow, StepLogRow, StepRow
from pgagent_live.watch.events import ServerRef
from pgagent_live.watch.tracker import Look, Tracker

JOBS = 2000
RUNS_PER_LOOK = 200
LOOKS = 50


def main() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    jobs = [JobRow(i, f"job {i}", "", True, "", None, None, None, None) for i in range(1, JOBS + 1)]
    steps = [
        StepRow(job * 10 + k, job, f"step {k}", "s", True, "f")
        for job in range(1, JOBS + 1)
        for k in range(3)
    ]
    tracker = Tracker(ServerRef(id="bench", name="bench"))
    tracker.seed(t0, jobs, [], [], steps, watermark=0)

    events = 0
    started = time.perf_counter()
    for look_no in range(LOOKS):
        runs, logs = [], []
        for i in range(RUNS_PER_LOOK):
            run_id = look_no * RUNS_PER_LOOK + i + 1
            job = run_id % JOBS + 1
            runs.append(RunRow(run_id, job, "s", t0, 1.0))
            logs += [
                StepLogRow(run_id * 3 + k, run_id, job * 10 + k, "s", 1, t0, 0.3, "", 0)
                for k in range(3)
            ]
        look = Look(t0 + timedelta(seconds=look_no), jobs, runs, logs, steps)
        events += len(tracker.apply(look))
    elapsed = time.perf_counter() - started

    runs_total = LOOKS * RUNS_PER_LOOK
    print(f"{runs_total} runs of 3 steps over {JOBS} jobs in {LOOKS} looks: {elapsed:.3f} s")
    print(f"{runs_total / elapsed:,.0f} runs/s, {events / elapsed:,.0f} events/s")


if __name__ == "__main__":
    main()
