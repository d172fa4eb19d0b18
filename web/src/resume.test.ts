import { describe, expect, it } from "vitest";
import {
  emptyState,
  knewFinished,
  needsReload,
  reduce,
  resumePoint,
  type Action,
  type ServerNode,
  type TreeState,
} from "./model";
import { shownState } from "./page";
import { event, jobState, snapshot } from "./testing";
import type { ServerStatus, Snapshot } from "./wire";

function run(...actions: Action[]): TreeState {
  return actions.reduce(reduce, emptyState);
}

const events = (...list: ReturnType<typeof event>[]): Action => ({ type: "events", events: list });

function status(state: string, message = ""): ServerStatus {
  return { server: { id: "main", name: "Main server" }, state, message };
}

function withState(snap: Snapshot, state: string): Snapshot {
  return { ...snap, servers: snap.servers.map((s) => ({ ...s, state, jobs: [] })) };
}

const server = (state: TreeState): ServerNode | undefined =>
  state.servers.find((s) => s.id === "main");

describe("resuming", () => {
  it("sends the occurred_at of the last event applied as `at`", () => {
    const state = run(
      { type: "snapshot", snapshot: snapshot([], 10) },
      events(event("job_started", { seq: 11, occurred_at: "2025-12-03T16:20:01.5+00:00" })),
      events(event("job_succeeded", { seq: 12, occurred_at: "2025-12-03T16:21:00+00:00" })),
    );
    expect(resumePoint(state)).toEqual({ epoch: "e1", seq: 12, at: "2025-12-03T16:21:00+00:00" });
  });

  it("keeps the position of an event already applied, and ignores a publisher's clock", () => {
    const first = event("job_started", { seq: 11, occurred_at: "2025-12-03T16:20:00+00:00" });
    const published = event("job_progress", {
      seq: 12,
      occurred_at: "2030-01-01T00:00:00+00:00",
      progress: { done: 0, total: 2, elapsed: 1, published_by: "abc" },
    });
    const state = run(
      { type: "snapshot", snapshot: snapshot([], 10) },
      events(first, published, { ...first, occurred_at: "2029-01-01T00:00:00Z" }),
    );
    expect(resumePoint(state)).toEqual({ epoch: "e1", seq: 12, at: "2025-12-03T16:20:00+00:00" });
  });

  it("estimates `at` from a snapshot no later than its latest run, and never goes back", () => {
    const ended = jobState({
      status: "succeeded",
      last_run: {
        id: 5,
        status: "succeeded",
        started_at: "2025-12-03T10:00:00+00:00",
        duration: 60,
        steps_done: 1,
        steps_total: 1,
      },
    });
    const first = run({ type: "snapshot", snapshot: snapshot([ended], 3) });
    expect(resumePoint(first)).toEqual({ epoch: "e1", seq: 3, at: "2025-12-03T10:00:59.000Z" });

    const later = reduce(first, {
      type: "events",
      events: [event("job_started", { seq: 4, occurred_at: "2025-12-03T12:00:00+00:00" })],
    });
    const again = reduce(later, { type: "snapshot", snapshot: snapshot([ended], 9) });
    expect(resumePoint(again)?.at).toBe("2025-12-03T12:00:00+00:00");
  });

  it("sends no `at` before it knows any time, and nothing before a snapshot", () => {
    expect(resumePoint(emptyState)).toBeNull();
    expect(resumePoint(run({ type: "snapshot", snapshot: snapshot([], 2) }))).toEqual({
      epoch: "e1",
      seq: 2,
    });
  });

  it("tells the runs the page already knew had ended", () => {
    const ended = jobState({
      status: "failed",
      last_run: {
        id: 7,
        status: "failed",
        started_at: "2025-12-03T10:00:00+00:00",
        duration: 1,
        steps_done: 1,
        steps_total: 1,
      },
    });
    const running = jobState({
      id: 2,
      status: "running",
      last_run: { ...ended.last_run!, id: 9, status: "running", duration: null },
    });
    const state = run({ type: "snapshot", snapshot: snapshot([ended, running]) });
    expect(knewFinished(state, "main", 1, 7)).toBe(true);
    expect(knewFinished(state, "main", 1, 6)).toBe(true);
    expect(knewFinished(state, "main", 1, 8)).toBe(false);
    expect(knewFinished(state, "main", 2, 9)).toBe(false);
    expect(knewFinished(state, "main", 3, 1)).toBe(false);
    expect(knewFinished(state, "other", 1, 7)).toBe(false);
  });
});

describe("reloading a server's jobs", () => {
  it("reloads a server that becomes live after a snapshot taken while it was unreachable", () => {
    const state = run({ type: "snapshot", snapshot: withState(snapshot(), "unreachable") });
    expect(server(state)?.jobsLoaded).toBe(false);
    expect(needsReload(server(state), status("live"))).toBe(true);
    expect(needsReload(server(state), status("polling"))).toBe(true);
    expect(needsReload(server(state), status("catching_up"))).toBe(false);
    expect(needsReload(server(state), status("unreachable", "refused"))).toBe(false);
  });

  it("reloads after catching up, and not a server whose jobs are loaded and live", () => {
    const live = run({ type: "snapshot", snapshot: snapshot() });
    expect(server(live)?.jobsLoaded).toBe(true);
    expect(needsReload(server(live), status("live"))).toBe(false);

    const catching = reduce(live, { type: "server_status", status: status("catching_up") });
    expect(needsReload(server(catching), status("live"))).toBe(true);
    const back = reduce(catching, { type: "server_status", status: status("live") });
    expect(needsReload(server(back), status("live"))).toBe(false);
  });

  it("reloads a server the page has never seen", () => {
    expect(needsReload(undefined, status("live"))).toBe(true);
    const state = reduce(emptyState, { type: "server_status", status: status("connecting") });
    expect(needsReload(server(state), status("live"))).toBe(true);
  });
});

describe("shownState", () => {
  const servers = [
    { name: "A", state: "live", message: "" },
    { name: "B", state: "catching_up", message: "reading what changed" },
  ];

  it("says catching up while the service catches up on a server", () => {
    expect(shownState("live", "", servers)).toEqual({
      state: "catching_up",
      detail: "The service is catching up on B.",
    });
    expect(shownState("live", "", servers.slice(0, 1))).toEqual({ state: "live", detail: "" });
  });

  it("lets a connection problem win", () => {
    expect(shownState("reconnecting", "lost", servers)).toEqual({
      state: "reconnecting",
      detail: "lost",
    });
  });
});
