import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Notifier } from "./notifications";
import { event, jobRef, runRef } from "./testing";

describe("Notifier", () => {
  let container: HTMLElement;
  let refreshed: Array<[string, number]>;
  let notifier: Notifier;

  beforeEach(() => {
    vi.useFakeTimers();
    document.body.replaceChildren();
    container = document.createElement("div");
    document.body.append(container);
    refreshed = [];
    notifier = new Notifier(container, {
      duration: 5000,
      position: "bottom-left",
      onRefresh: (serverId, jobId) => refreshed.push([serverId, jobId]),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  const shown = () => Array.from(container.querySelectorAll<HTMLElement>(".notification"));

  it("shows one notification per server, run and type, however often the event arrives", () => {
    const started = event("job_started");
    expect(notifier.notifyEvent(started)).not.toBeNull();
    expect(notifier.notifyEvent(started)).toBeNull();
    expect(notifier.notifyEvent({ ...started, seq: started.seq + 50 })).toBeNull();
    notifier.notifyEvent(event("job_succeeded"));
    notifier.notifyEvent(event("job_started", { run: { ...started.run, id: 8 } }));
    notifier.notifyEvent(event("job_started", { server: { id: "other", name: "Other" } }));

    // The start of run 7 gave way to its success.
    expect(shown().map((n) => [n.dataset.type, n.dataset.runId])).toEqual([
      ["job_started", "7"],
      ["job_started", "8"],
      ["job_succeeded", "7"],
    ]);
  });

  it("groups frequent successes of one job into one notification that counts", () => {
    for (const id of [7, 8, 9]) {
      notifier.notifyEvent(event("job_succeeded", { run: { ...event("x").run, id } }));
    }
    expect(shown()).toHaveLength(1);
    expect(shown()[0]!.dataset.count).toBe("3");
    expect(shown()[0]!.querySelector(".notification-title")?.textContent).toBe(
      "Job succeeded 3 times",
    );
    notifier.notifyEvent(event("job_succeeded", { job: jobRef(2, "other"), run: runRef(10) }));
    expect(shown()).toHaveLength(2);
  });

  it("shows nothing for steps, progress or unknown types", () => {
    for (const type of ["step_started", "step_finished", "job_progress", "job_stuck"]) {
      expect(notifier.notifyEvent(event(type))).toBeNull();
    }
    expect(shown()).toHaveLength(0);
  });

  it("carries the hooks and a Refresh button that refreshes the job", () => {
    const element = notifier.notifyEvent(event("job_started", { job: jobRef(42, "x") }))!;
    expect(element.dataset).toMatchObject({ type: "job_started", jobId: "42" });
    expect(element.dataset.serverId).toBeUndefined();
    element.querySelector<HTMLButtonElement>("button.notification-refresh")!.click();
    expect(refreshed).toEqual([["main", 42]]);
    expect(container.classList.contains("position-bottom-left")).toBe(true);
  });

  it("removes a start or success after the configured duration", () => {
    notifier.notifyEvent(event("job_started"));
    vi.advanceTimersByTime(4999);
    expect(shown()).toHaveLength(1);
    notifier.notifyEvent(event("job_succeeded"));
    vi.advanceTimersByTime(1);
    expect(shown().map((n) => n.dataset.type)).toEqual(["job_succeeded"]);
    vi.advanceTimersByTime(5000);
    expect(shown()).toHaveLength(0);
  });

  it("keeps a failure until it is dismissed", () => {
    const failure = notifier.notifyEvent(event("job_failed", { error: "ERROR: boom" }))!;
    vi.advanceTimersByTime(60_000);
    expect(shown()).toEqual([failure]);
    expect(failure.querySelector(".notification-detail")?.textContent).toBe("ERROR: boom");
    failure.querySelector<HTMLButtonElement>("button.notification-close")!.click();
    expect(shown()).toHaveLength(0);
  });

  it("renders names and output as text", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const element = notifier.notifyEvent(
      event("job_failed", {
        job: { id: 1, name: hostile, enabled: true },
        server: { id: "main", name: "<b>srv</b>" },
        error: "<script>alert(2)</script>",
      }),
    )!;
    expect(element.querySelector("img, b, script")).toBeNull();
    expect(element.textContent).toContain(hostile);
    expect(element.textContent).toContain("<script>alert(2)</script>");
  });

  it("makes room by dropping the oldest passing notification", () => {
    const failure = notifier.notifyEvent(event("job_failed"))!;
    for (let run = 1; run <= 6; run++) {
      notifier.notifyEvent(event("job_started", { run: runRef(100 + run) }));
    }
    const runs = shown().map((n) => n.dataset.runId);
    expect(runs).toHaveLength(6);
    expect(runs).not.toContain("101");
    expect(shown()).toContain(failure);
  });
});
