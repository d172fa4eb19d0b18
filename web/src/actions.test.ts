import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createJobActions, NOTE_DURATION } from "./actions";
import { ApiError } from "./api";
import { findJob, QUEUE_PATIENCE, queueNote, Store } from "./model";
import type { Message } from "./notifications";
import { jobState, snapshot } from "./testing";
import type { JobDetail } from "./wire";

describe("job actions", () => {
  let store: Store;
  let messages: Message[];

  beforeEach(() => {
    vi.useFakeTimers();
    store = new Store();
    store.dispatch({ type: "snapshot", snapshot: snapshot([jobState({ name: "old name" })]) });
    messages = [];
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const job = () => findJob(store.get(), "main", 1)!;

  function actionsWith(api: { job?: () => Promise<JobDetail>; runJob?: () => Promise<void> }) {
    return createJobActions({
      api: {
        job: api.job ?? (() => Promise.reject(new Error("unused"))),
        runJob: api.runJob ?? (() => Promise.reject(new Error("unused"))),
      },
      store,
      notify: (message) => messages.push(message),
    });
  }

  it("refreshJobNode reloads the job, shows its new name and says it is done", async () => {
    let resolve!: (detail: JobDetail) => void;
    const actions = actionsWith({ job: () => new Promise((r) => (resolve = r)) });

    const refreshing = actions.refreshJobNode("main", 1);
    expect(job().pending).toBe("refresh");
    resolve({ ...jobState({ name: "new name", status: "succeeded" }), steps: [], schedules: [] });
    await refreshing;

    expect(job()).toMatchObject({
      name: "new name",
      status: "succeeded",
      pending: null,
      steps: [],
    });
    expect(job().note?.text).toBe("Refreshed.");
    vi.advanceTimersByTime(NOTE_DURATION);
    expect(job().note).toBeNull();
  });

  it("refreshJobNode says in words that a job no longer exists", async () => {
    const actions = actionsWith({
      job: () => Promise.reject(new ApiError(404, "not_found", "no job 1 on main")),
    });
    await actions.refreshJobNode("main", 1);

    expect(job().missing).toBe(true);
    expect(job().note).toMatchObject({
      kind: "error",
      text: "\u201cold name\u201d no longer exists on Main server.",
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: "error", jobId: 1, serverId: "main" });
    vi.advanceTimersByTime(NOTE_DURATION * 2);
    expect(job().note?.kind).toBe("error");
  });

  it("runJobNow asks for a run and reports a refusal", async () => {
    const calls: string[] = [];
    const ok = actionsWith({ runJob: async () => void calls.push("run") });
    await ok.runJobNow("main", 1);
    expect(calls).toEqual(["run"]);
    expect(job().queued).not.toBeNull();

    const refused = actionsWith({
      runJob: () => Promise.reject(new ApiError(401, "auth_invalid", "The token is not valid.")),
    });
    await refused.runJobNow("main", 1);
    expect(job().note?.text).toContain("The token is not valid.");
    expect(job().missing).toBe(false);
  });

  it("runJobNow says so when the run has not started after a while", async () => {
    const actions = actionsWith({ runJob: async () => undefined });
    await actions.runJobNow("main", 1);
    expect(queueNote(job())).toBeNull();
    vi.advanceTimersByTime(QUEUE_PATIENCE - 1);
    expect(queueNote(job())).toBeNull();
    vi.advanceTimersByTime(1);
    expect(queueNote(job())).toContain("No agent has started the run");
  });
});
