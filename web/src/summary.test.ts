import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Notifier } from "./notifications";
import { event } from "./testing";
import type { FinishedRun, FinishedSince } from "./wire";
import { decodeFinishedSince } from "./wire";

function finished(runId: number, status: string, name = `job of run ${runId}`): FinishedRun {
  return {
    job: { id: runId * 10, name },
    run: { id: runId, status, started_at: "2025-12-03T16:00:00+00:00", duration: 2 },
  };
}

function summary(runs: FinishedRun[], error: string | null = null): FinishedSince {
  return {
    since: "2025-12-03T15:00:00+00:00",
    reason: "epoch_changed",
    servers: [{ id: "main", runs, error }],
  };
}

const names = (id: string) => (id === "main" ? "Main server" : id);

describe("Notifier.notifySummary", () => {
  let container: HTMLElement;
  let notifier: Notifier;
  let history: string[];

  beforeEach(() => {
    vi.useFakeTimers();
    document.body.replaceChildren();
    container = document.createElement("div");
    document.body.append(container);
    history = [];
    notifier = new Notifier(container, {
      duration: 5000,
      position: "top-right",
      onRefresh: () => {},
      onShown: (entry) => history.push(entry.title),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const shown = () => Array.from(container.querySelectorAll<HTMLElement>(".notification"));

  it("groups the runs in one notification and calls out the failures by name", () => {
    const element = notifier.notifySummary(
      summary([
        finished(1, "succeeded"),
        finished(2, "failed", "nightly <b>load</b>"),
        finished(3, "succeeded_with_warnings"),
        finished(4, "aborted", "cleanup"),
      ]),
      names,
    );
    expect(shown()).toHaveLength(1);
    expect(element?.dataset.type).toBe("finished_since");
    expect(element?.dataset.count).toBe("4");
    expect(element?.dataset.failed).toBe("2");
    expect(element?.classList.contains("notification-failure")).toBe(true);
    expect(element?.textContent).toContain(
      "4 runs finished while the page was disconnected; 2 failed.",
    );
    const detail = element?.querySelector(".notification-detail")?.textContent ?? "";
    expect(detail).toContain("Failed: \u201cnightly <b>load</b>\u201d on Main server, run 2");
    expect(detail).toContain("Aborted: \u201ccleanup\u201d on Main server, run 4");
    expect(element?.querySelector("b")).toBeNull();
    // A failure stays until dismissed.
    vi.advanceTimersByTime(60_000);
    expect(shown()).toHaveLength(1);
  });

  it("passes like a success when every run worked", () => {
    const element = notifier.notifySummary(summary([finished(1, "succeeded")]), names);
    expect(element?.textContent).toContain(
      "1 run finished while the page was disconnected, all successfully.",
    );
    expect(element?.classList.contains("notification-success")).toBe(true);
    vi.advanceTimersByTime(6000);
    expect(shown()).toHaveLength(0);
  });

  it("leaves out runs already told, and tells none of its runs again", () => {
    notifier.notifyEvent(event("job_failed", { run: { ...event("job_failed").run, id: 2 } }));
    const element = notifier.notifySummary(
      summary([finished(1, "succeeded"), finished(2, "failed"), finished(5, "failed")]),
      names,
      (_server, _job, runId) => runId === 1,
    );
    expect(element?.dataset.count).toBe("1");
    expect(element?.dataset.failed).toBe("1");
    expect(element?.querySelector(".notification-detail")?.textContent).toContain("run 5");

    // The same summary again (another reconnect), or the run's own event: nothing new.
    expect(notifier.notifySummary(summary([finished(5, "failed")]), names)).toBeNull();
    const late = event("job_failed", { run: { ...event("job_failed").run, id: 5 } });
    expect(notifier.notifyEvent(late)).toBeNull();
    expect(shown().filter((n) => n.dataset.type === "finished_since")).toHaveLength(1);
    expect(history.filter((t) => t === "While disconnected")).toHaveLength(1);
  });

  it("says which server could not be read, and shows nothing when nothing happened", () => {
    expect(notifier.notifySummary(summary([]), names)).toBeNull();
    const element = notifier.notifySummary(summary([], "connection refused"), names);
    expect(element?.querySelector(".notification-detail")?.textContent).toBe(
      "Not known, the server could not be read: Main server: connection refused",
    );
  });

  it("dismisses the start notification of a run it reports as ended", () => {
    notifier.notifyEvent(event("job_started", { run: { ...event("job_started").run, id: 3 } }));
    expect(shown().map((n) => n.dataset.type)).toEqual(["job_started"]);
    notifier.notifySummary(summary([finished(3, "succeeded")]), names);
    expect(shown().map((n) => n.dataset.type)).toEqual(["finished_since"]);
  });
});

describe("decodeFinishedSince", () => {
  it("keeps what identifies a run and drops the rest", () => {
    const decoded = decodeFinishedSince({
      since: "2025-12-03T15:00:00+00:00",
      reason: "window_passed",
      servers: [
        {
          id: "main",
          runs: [finished(1, "failed"), { job: { id: "x" }, run: { id: 2 } }, null],
          error: null,
        },
        { id: 7, runs: [] },
        { id: "down", runs: "nonsense", error: "timeout" },
      ],
    });
    expect(decoded?.reason).toBe("window_passed");
    expect(decoded?.servers.map((s) => [s.id, s.runs.length, s.error])).toEqual([
      ["main", 1, null],
      ["down", 0, "timeout"],
    ]);
    expect(decodeFinishedSince("nonsense")).toBeNull();
  });
});
