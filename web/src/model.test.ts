import { describe, expect, it } from "vitest";
import {
  displayStatus,
  emptyState,
  findJob,
  QUEUE_PATIENCE,
  queueNote,
  queueWarning,
  reduce,
  stepOf,
  type Action,
  type TreeState,
} from "./model";
import { event, jobRef, jobState, runRef, snapshot, stepEvent } from "./testing";
import { decodeEvents } from "./wire";

function run(...actions: Action[]): TreeState {
  return actions.reduce(reduce, emptyState);
}

function job(state: TreeState, jobId = 1) {
  const found = findJob(state, "main", jobId);
  if (!found) throw new Error(`job ${jobId} is not in the tree`);
  return found;
}

const events = (...list: ReturnType<typeof event>[]): Action => ({ type: "events", events: list });

describe("reduce", () => {
  it("draws the tree from a snapshot", () => {
    const jobs = [jobState({ id: 2, name: "b" }), jobState({ id: 1, name: "a" })];
    const state = run({ type: "snapshot", snapshot: snapshot(jobs) });
    expect(state.loaded).toBe(true);
    expect(state.seq).toBe(10);
    expect(state.servers.map((s) => s.name)).toEqual(["Main server"]);
    expect(state.servers[0]!.jobs.map((j) => j.name)).toEqual(["a", "b"]);
  });

  it("takes the next run that a run's final event carries", () => {
    const before = jobState({ next_run: "2026-12-03T18:06:00+00:00" });
    let state = run({ type: "snapshot", snapshot: snapshot([before]) });

    state = reduce(state, events(event("job_started")));
    const after = jobState({ next_run: "2026-12-03T18:07:00+00:00" });
    state = reduce(state, events(event("job_succeeded", { state: after })));

    expect(job(state).next_run).toBe("2026-12-03T18:07:00+00:00");
  });

  it("follows a run from start to success, step k of n on the way", () => {
    let state = run({ type: "snapshot", snapshot: snapshot() });

    const progress = { done: 0, total: 3, elapsed: 0 };
    state = reduce(state, events(event("job_started", { progress })));
    expect(job(state).status).toBe("running");
    expect(stepOf(job(state))).toEqual({ k: 1, n: 3 });

    state = reduce(state, events(stepEvent("step_started", 1, 3)));
    expect(stepOf(job(state))).toEqual({ k: 1, n: 3 });
    state = reduce(
      state,
      events(stepEvent("step_finished", 1, 3), stepEvent("step_started", 2, 3)),
    );
    expect(stepOf(job(state))).toEqual({ k: 2, n: 3 });
    expect(job(state).last_run?.steps_done).toBe(1);

    const later = { done: 2, total: 3, elapsed: 2 };
    state = reduce(state, events(event("job_progress", { progress: later })));
    expect(job(state).last_run?.steps_done).toBe(2);

    state = reduce(state, events(event("job_succeeded")));
    const done = job(state);
    expect(done.status).toBe("succeeded");
    expect(done.last_run).toMatchObject({ id: 7, status: "succeeded", duration: 3.2 });
    expect(stepOf(done)).toBeNull();
  });

  it("ignores an event it has already applied", () => {
    const start = run({ type: "snapshot", snapshot: snapshot() }, events(event("job_started")));
    const finished = event("job_succeeded");
    const once = reduce(start, events(finished));
    const twice = reduce(once, events(finished));
    expect(twice).toBe(once);

    // The same event in one batch, and an old one after a newer: still one success.
    const batch = reduce(start, events(finished, finished));
    expect(job(batch)).toEqual(job(once));
  });

  it("gives the same tree when an event is applied twice under new sequence numbers", () => {
    const base = run({ type: "snapshot", snapshot: snapshot() });
    const started = event("job_started");
    const once = reduce(base, events(started, stepEvent("step_started", 1, 2)));
    const again = reduce(once, events({ ...started, seq: 999 }));
    expect(job(again)).toEqual(job(once));
  });

  it("skips events the snapshot already holds", () => {
    const state = run(
      { type: "snapshot", snapshot: snapshot([jobState()], 500) },
      events(event("job_started", { seq: 499 })),
    );
    expect(job(state).status).toBe("idle");
  });

  it("does not make a finished run look running again", () => {
    const state = run(
      { type: "snapshot", snapshot: snapshot() },
      events(
        event("job_started"),
        event("job_failed", { error: "ERROR: relation does not exist" }),
      ),
      events(stepEvent("step_started", 2, 2)),
    );
    expect(job(state).status).toBe("failed");
    expect(job(state).error).toBe("ERROR: relation does not exist");
  });

  it("keeps the newer run when an older run's event arrives late", () => {
    const newer = event("job_started", { run: runRef(9) });
    const state = run(
      { type: "snapshot", snapshot: snapshot() },
      events(newer, event("job_succeeded", { job: jobRef(1, "renamed") })),
    );
    expect(job(state).status).toBe("running");
    expect(job(state).last_run?.id).toBe(9);
    expect(job(state).name).toBe("renamed");
  });

  it("reports pgAgent's internal failure as such", () => {
    const started = event("job_started");
    const failed = event("job_failed");
    failed.run.status = "internal_error";
    const state = run({ type: "snapshot", snapshot: snapshot() }, events(started, failed));
    expect(job(state).status).toBe("internal_error");
  });

  it("ignores event types it does not know, and odd payloads", () => {
    const base = run({ type: "snapshot", snapshot: snapshot() });
    const state = reduce(base, events(event("job_exploded"), event("agent_offline")));
    expect(state.servers).toBe(base.servers);
    expect(decodeEvents([null, 3, "x", { type: "job_started" }, {}])).toEqual([]);
  });

  it("adds a job and a server it first hears of in an event", () => {
    const state = run(
      { type: "snapshot", snapshot: snapshot() },
      events(
        event("job_started", { server: { id: "other", name: "Other" }, job: jobRef(5, "new") }),
      ),
    );
    expect(findJob(state, "other", 5)?.status).toBe("running");
  });

  it("applies a server's state", () => {
    const state = run(
      { type: "snapshot", snapshot: snapshot() },
      {
        type: "server_status",
        status: {
          server: { id: "main", name: "Main server" },
          state: "unreachable",
          message: "connection refused",
        },
      },
    );
    expect(state.servers[0]).toMatchObject({ state: "unreachable", message: "connection refused" });
  });

  it("replaces the tree on a new snapshot, keeping the page's own feedback", () => {
    const note = { id: 1, kind: "info" as const, text: "Refreshed." };
    const state = run(
      { type: "snapshot", snapshot: snapshot([jobState(), jobState({ id: 2, name: "gone" })]) },
      { type: "job_note", serverId: "main", jobId: 1, note },
      {
        type: "snapshot",
        snapshot: { ...snapshot([jobState({ status: "failed" })], 3), epoch: "e2" },
      },
    );
    expect(state.epoch).toBe("e2");
    expect(state.servers[0]!.jobs.map((j) => j.id)).toEqual([1]);
    expect(job(state)).toMatchObject({ status: "failed", note });
  });

  it("redraws a refreshed job under its new name, and marks a missing one", () => {
    const jobs = [jobState(), jobState({ id: 2, name: "another" })];
    const base = run({ type: "snapshot", snapshot: snapshot(jobs) });
    const refreshed = reduce(base, {
      type: "job_detail",
      serverId: "main",
      detail: { ...jobState({ name: "zz renamed" }), steps: [], schedules: [] },
      note: null,
    });
    expect(refreshed.servers[0]!.jobs.map((j) => j.name)).toEqual(["another", "zz renamed"]);
    expect(job(refreshed).steps).toEqual([]);

    const note = { id: 2, kind: "error" as const, text: "gone" };
    const missing = reduce(refreshed, { type: "job_missing", serverId: "main", jobId: 2, note });
    expect(job(missing, 2)).toMatchObject({ missing: true, note, pending: null });
  });

  it("clears a note only when it is still the one shown", () => {
    const first = { id: 1, kind: "info" as const, text: "first" };
    const second = { id: 2, kind: "info" as const, text: "second" };
    const state = run(
      { type: "snapshot", snapshot: snapshot() },
      { type: "job_note", serverId: "main", jobId: 1, note: first },
      { type: "job_note", serverId: "main", jobId: 1, note: second },
      { type: "job_note", serverId: "main", jobId: 1, note: null, replaces: 1 },
    );
    expect(job(state).note).toEqual(second);
  });

  it("removes a deleted job, takes a changed one, and marks a stuck one", () => {
    const jobs = [jobState({ id: 1, name: "a" }), jobState({ id: 2, name: "b" })];
    const base = run({ type: "snapshot", snapshot: snapshot(jobs) });
    const removed = reduce(base, events(event("job_removed", { job: jobRef(2, "b") })));
    expect(removed.servers[0]!.jobs.map((j) => j.id)).toEqual([1]);

    const changed = reduce(
      removed,
      events(event("job_changed", { state: jobState({ id: 1, name: "z", enabled: false }) })),
    );
    expect(job(changed).name).toBe("z");
    expect(displayStatus(job(changed))).toBe("disabled");

    const stuck = reduce(changed, events(event("job_stuck", { message: "the agent is gone" })));
    expect(job(stuck).status).toBe("stuck");
    expect(job(stuck).note?.text).toBe("the agent is gone");
  });

  it("shows a queued run until it starts, and says why it may never start", () => {
    const base = run({ type: "snapshot", snapshot: snapshot([jobState({ host_agent: "db9" })]) });
    const server = { ...base.servers[0]!, agents: [{ pid: 1, host: "db1", alive: true }] };
    expect(queueWarning(server, job(base))).toContain("\u201cdb9\u201d");
    expect(queueWarning({ ...server, agents: [] }, job(base))).toContain("No pgAgent daemon");
    expect(queueWarning({ ...server, agents: null }, job(base))).toBeNull();

    const queued = reduce(base, {
      type: "job_queued",
      serverId: "main",
      jobId: 1,
      since: 0,
      warning: null,
    });
    expect(displayStatus(job(queued))).toBe("queued");
    const started = reduce(queued, events(event("job_started")));
    expect(job(started).queued).toBeNull();
    expect(displayStatus(job(started))).toBe("running");
  });

  it("keeps the agents current from agent events, and the doubt of queued runs", () => {
    const base = run({ type: "snapshot", snapshot: snapshot() });
    const withAgents = {
      ...base,
      servers: [{ ...base.servers[0]!, agents: [{ pid: 1, host: "db1", alive: true }] }],
    };
    const queued = reduce(withAgents, {
      type: "job_queued",
      serverId: "main",
      jobId: 1,
      since: 5,
      warning: null,
    });
    const agent = (type: string, pid: number) =>
      decodeEvents({
        seq: 500 + pid,
        epoch: "e1",
        type,
        occurred_at: "2025-12-03T16:21:00+00:00",
        server: { id: "main", name: "Main server" },
        agent: { pid, host: "db1", login_time: "2025-12-03T16:00:00+00:00", alive: true },
      });
    expect(agent("agent_offline", 1)).toHaveLength(1);

    const offline = reduce(queued, { type: "events", events: agent("agent_offline", 1) });
    expect(offline.servers[0]!.agents).toEqual([{ pid: 1, host: "db1", alive: false }]);
    expect(queueNote(job(offline))).toContain("No pgAgent daemon");
    expect(offline.seq).toBe(501);

    const online = reduce(offline, { type: "events", events: agent("agent_online", 2) });
    expect(online.servers[0]!.agents?.filter((a) => a.alive)).toEqual([
      { pid: 2, host: "db1", alive: true },
    ]);
    expect(queueNote(job(online))).toBeNull();
    // An agent event is not about a job: it adds none.
    expect(online.servers[0]!.jobs.map((j) => j.id)).toEqual([1]);
  });

  it("says in words when a queued run has not started after a while", () => {
    const base = run({ type: "snapshot", snapshot: snapshot() });
    const queue = (since: number): Action => ({
      type: "job_queued",
      serverId: "main",
      jobId: 1,
      since,
      warning: null,
    });
    const late = (since: number): Action => ({
      type: "job_queue_late",
      serverId: "main",
      jobId: 1,
      since,
    });
    const queued = reduce(base, queue(1));
    expect(queueNote(job(queued))).toBeNull();

    // The timer of an earlier request does not make a newer one late.
    const asked = reduce(queued, queue(2));
    expect(reduce(asked, late(1))).toBe(asked);
    const waited = reduce(asked, late(2));
    expect(queueNote(job(waited))).toContain(`over ${QUEUE_PATIENCE / 1000} s ago`);
    expect(displayStatus(job(waited))).toBe("queued");

    const started = reduce(waited, events(event("job_started")));
    expect(queueNote(job(started))).toBeNull();
    expect(reduce(started, late(2))).toBe(started);
  });
});
