/** Builders of snapshots and events for the unit tests. */

import type { JobEvent, JobState, Snapshot } from "./wire";

export function jobState(overrides: Partial<JobState> = {}): JobState {
  return {
    id: 1,
    name: "nightly backup",
    description: "",
    enabled: true,
    host_agent: "",
    next_run: "2025-12-04T02:00:00+00:00",
    status: "idle",
    last_run: null,
    ...overrides,
  };
}

export function snapshot(jobs: JobState[] = [jobState()], seq = 10): Snapshot {
  return {
    epoch: "e1",
    seq,
    servers: [{ id: "main", name: "Main server", state: "live", message: "", jobs, agents: null }],
  };
}

let nextSeq = 100;

/** An event of run 7 of job 1 on server `main`; `seq` counts up unless given. */
export function event(type: string, overrides: Partial<JobEvent> = {}): JobEvent {
  return {
    seq: nextSeq++,
    epoch: "e1",
    type,
    occurred_at: "2025-12-03T16:20:01+00:00",
    server: { id: "main", name: "Main server" },
    job: { id: 1, name: "nightly backup", enabled: true },
    run: {
      id: 7,
      status: type === "job_succeeded" ? "succeeded" : type === "job_failed" ? "failed" : "running",
      started_at: "2025-12-03T16:20:00+00:00",
      duration: type === "job_succeeded" || type === "job_failed" ? 3.2 : null,
      agent_host: "db1",
    },
    ...overrides,
  };
}

/** A run reference of a running run. */
export function runRef(id: number): JobEvent["run"] {
  return { id, status: "running", started_at: "", duration: null, agent_host: null };
}

export function jobRef(id: number, name: string): JobEvent["job"] {
  return { id, name, enabled: true };
}

export function stepEvent(
  type: "step_started" | "step_finished",
  position: number,
  total: number,
): JobEvent {
  return event(type, {
    step: {
      id: 10 + position,
      run_id: 70 + position,
      name: `step ${position}`,
      kind: "sql",
      status: type === "step_started" ? "running" : "succeeded",
      result: type === "step_started" ? null : 1,
      position,
      total,
      started_at: "2025-12-03T16:20:00+00:00",
      duration: type === "step_started" ? null : 1.0,
      output: "",
      output_size: 0,
    },
  });
}
