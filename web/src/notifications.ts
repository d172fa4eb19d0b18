/** Notifications of job starts, successes and failures, each shown once, with a Refresh button. */

import { formatDuration } from "./format";
import type { FinishedSince, JobEvent, NotificationPosition } from "./wire";

export interface NotifierOptions {
  /** How long a notification stays, in ms; 0 or less keeps it until dismissed. */
  duration: number;
  position: NotificationPosition;
  onRefresh(serverId: string, jobId: number): void;
  /** Told of every notification shown, for the history panel. */
  onShown?(entry: { title: string; text: string; kind: string; at: string }): void;
}

/** A message that is not an event, such as a refresh that failed. */
export interface Message {
  type: string;
  serverId: string;
  jobId: number;
  title: string;
  text: string;
  kind: "info" | "error";
}

type Kind = "started" | "success" | "failure";

const NOTIFIED: Record<string, { kind: Kind; title: string }> = {
  job_started: { kind: "started", title: "Job started" },
  job_succeeded: { kind: "success", title: "Job succeeded" },
  job_failed: { kind: "failure", title: "Job failed" },
  job_aborted: { kind: "failure", title: "Job aborted" },
};

/** The event type a finished run's status ends with, for the keys of notifications shown. */
const TERMINAL_TYPES: Record<string, string> = {
  succeeded: "job_succeeded",
  succeeded_with_warnings: "job_succeeded",
  failed: "job_failed",
  internal_error: "job_failed",
  aborted: "job_aborted",
};

const FAILED_STATUSES = new Set(["failed", "internal_error", "aborted"]);

/** How many failed runs a summary names one by one before it only counts the rest. */
const NAMED_FAILURES = 5;

/** More than this many on screen at once and the oldest passing one makes room. */
const MAX_VISIBLE = 6;
/** How many keys of shown notifications to remember against duplicates. */
const REMEMBERED = 1000;

export class Notifier {
  private readonly seen = new Set<string>();
  private readonly timers = new Map<HTMLElement, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly container: HTMLElement,
    private readonly options: NotifierOptions,
  ) {
    container.classList.add("notifications", `position-${options.position}`);
    container.setAttribute("aria-live", "polite");
  }

  /**
   * Shows the notification of a job start, success or failure, once per server, run and type:
   * an event that arrives again (a replay after a reconnect, a duplicated batch) shows nothing.
   * Returns the new element, or null when there is nothing to show.
   */
  notifyEvent(event: JobEvent): HTMLElement | null {
    if (event.type === "job_progress" || event.type === "step_started") return this.progress(event);
    const shape = NOTIFIED[event.type];
    if (!shape) return null;
    const key = `${event.server.id}/${event.run.id}/${event.type}`;
    if (this.seen.has(key)) return null;
    this.remember(key);

    // The start of a run is old news once it has ended.
    const started = shape.kind !== "started" ? this.find("job_started", event) : null;
    if (started) this.dismiss(started);
    // A job that succeeds often shows one notification that counts, not one per run.
    if (event.type === "job_succeeded") {
      const shown = this.find("job_succeeded", event, false);
      if (shown) return this.regroup(shown, event);
    }

    const detail = shape.kind === "failure" ? event.error : undefined;
    return this.show({
      type: event.type,
      serverId: event.server.id,
      jobId: event.job.id,
      runId: event.run.id,
      title: shape.title,
      text: describe(event),
      detail,
      kind: shape.kind,
      refresh: true,
    });
  }

  /**
   * Shows, as one notification, the runs that ended while the page was away (`finished_since`),
   * naming the failures. A run already told (by its own notification, or as known to the page
   * by `known`) is left out, and each run listed is remembered so that it is never told again.
   * Returns null when nothing is left to tell.
   */
  notifySummary(
    summary: FinishedSince,
    serverName: (serverId: string) => string,
    known: (serverId: string, jobId: number, runId: number) => boolean = () => false,
  ): HTMLElement | null {
    const runs: { serverId: string; name: string; runId: number; status: string }[] = [];
    const unread: string[] = [];
    for (const server of summary.servers) {
      if (server.error) unread.push(`${serverName(server.id)}: ${server.error}`);
      for (const { job, run } of server.runs) {
        const key = `${server.id}/${run.id}/${TERMINAL_TYPES[run.status] ?? "job_finished"}`;
        if (this.seen.has(key) || known(server.id, job.id, run.id)) continue;
        this.remember(key);
        runs.push({ serverId: server.id, name: job.name, runId: run.id, status: run.status });
        // Its start is old news.
        for (const el of Array.from(this.container.children)) {
          if (!(el instanceof HTMLElement) || el.dataset.type !== "job_started") continue;
          if (el.dataset.serverKey === server.id && el.dataset.runId === String(run.id)) {
            this.dismiss(el);
          }
        }
      }
    }
    if (runs.length === 0 && unread.length === 0) return null;

    const failed = runs.filter((r) => FAILED_STATUSES.has(r.status));
    const count = runs.length === 1 ? "1 run" : `${runs.length} runs`;
    let text = `${count} finished while the page was disconnected`;
    text += failed.length > 0 ? `; ${failed.length} failed.` : ", all successfully.";
    if (runs.length === 0) text = "No run is known to have ended while the page was disconnected.";
    const lines = failed.slice(0, NAMED_FAILURES).map((r) => {
      const where = `\u201c${r.name}\u201d on ${serverName(r.serverId)}`;
      return `${statusWord(r.status)}: ${where}, run ${r.runId}`;
    });
    if (failed.length > NAMED_FAILURES) lines.push(`and ${failed.length - NAMED_FAILURES} more`);
    for (const line of unread) lines.push(`Not known, the server could not be read: ${line}`);

    const element = this.show({
      type: "finished_since",
      serverId: "",
      jobId: 0,
      runId: null,
      title: "While disconnected",
      text,
      detail: lines.length > 0 ? lines.join("\n") : undefined,
      kind: failed.length > 0 || unread.length > 0 ? "failure" : "success",
      refresh: false,
    });
    element.dataset.count = String(runs.length);
    element.dataset.failed = String(failed.length);
    return element;
  }

  /** Shows a message of the page's own; errors stay until dismissed, like failures. */
  notifyMessage(message: Message): HTMLElement {
    return this.show({
      ...message,
      runId: null,
      detail: undefined,
      kind: message.kind === "error" ? "failure" : "success",
      refresh: false,
    });
  }

  /** Shows the progress of a run in its start notification, while that is on screen. */
  private progress(event: JobEvent): HTMLElement | null {
    const shown = this.find("job_started", event);
    if (!shown) return null;
    const p = event.progress;
    const s = event.step;
    const text = p
      ? `${p.done} of ${p.total} steps done`
      : s
        ? `step ${s.position} of ${s.total}: ${s.name}`
        : "";
    let line = shown.querySelector<HTMLElement>(".notification-progress");
    if (!line) {
      line = shown.ownerDocument.createElement("p");
      line.className = "notification-progress";
      shown.querySelector(".notification-body")?.append(line);
    }
    line.textContent = text;
    return shown;
  }

  /** The notification on screen of this type for the event's run (or, `sameRun` false, job). */
  private find(type: string, event: JobEvent, sameRun = true): HTMLElement | null {
    for (const el of Array.from(this.container.children)) {
      if (!(el instanceof HTMLElement) || el.dataset.type !== type) continue;
      if (el.dataset.serverKey !== event.server.id || el.dataset.jobId !== String(event.job.id)) {
        continue;
      }
      if (!sameRun || el.dataset.runId === String(event.run.id)) return el;
    }
    return null;
  }

  private regroup(shown: HTMLElement, event: JobEvent): HTMLElement {
    const count = Number(shown.dataset.count ?? "1") + 1;
    shown.dataset.count = String(count);
    shown.dataset.runId = String(event.run.id);
    const title = shown.querySelector(".notification-title");
    if (title) title.textContent = `Job succeeded ${count} times`;
    const text = shown.querySelector(".notification-text");
    if (text) text.textContent = `${describe(event)} (latest)`;
    this.options.onShown?.({
      title: "Job succeeded",
      text: describe(event),
      kind: "success",
      at: new Date().toISOString(),
    });
    const timer = this.timers.get(shown);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.set(shown, setTimeout(() => this.dismiss(shown), this.options.duration));
    }
    this.container.prepend(shown);
    return shown;
  }

  dismiss(element: HTMLElement): void {
    const timer = this.timers.get(element);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(element);
    element.remove();
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > REMEMBERED) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  private show(n: {
    type: string;
    serverId: string;
    jobId: number;
    runId: number | null;
    title: string;
    text: string;
    detail: string | undefined;
    kind: Kind;
    refresh: boolean;
  }): HTMLElement {
    const doc = this.container.ownerDocument;
    const element = doc.createElement("div");
    element.className = `notification notification-${n.kind}`;
    // No data-server-id: `[data-server-id][data-job-id]` is the job node's hook alone.
    element.dataset.type = n.type;
    element.dataset.jobId = String(n.jobId);
    element.dataset.serverKey = n.serverId;
    if (n.runId !== null) element.dataset.runId = String(n.runId);
    element.setAttribute("role", n.kind === "failure" ? "alert" : "status");

    const body = doc.createElement("div");
    body.className = "notification-body";
    const title = doc.createElement("strong");
    title.className = "notification-title";
    title.textContent = n.title;
    const text = doc.createElement("p");
    text.className = "notification-text";
    text.textContent = n.text;
    body.append(title, text);
    if (n.detail) {
      const detail = doc.createElement("pre");
      detail.className = "notification-detail";
      detail.textContent = n.detail;
      body.append(detail);
    }

    const actions = doc.createElement("div");
    actions.className = "notification-actions";
    if (n.refresh) {
      const refresh = doc.createElement("button");
      refresh.type = "button";
      refresh.className = "notification-refresh";
      refresh.textContent = "Refresh";
      refresh.addEventListener("click", () => this.options.onRefresh(n.serverId, n.jobId));
      actions.append(refresh);
    }
    const close = doc.createElement("button");
    close.type = "button";
    close.className = "notification-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "\u00d7";
    close.addEventListener("click", () => this.dismiss(element));
    actions.append(close);

    element.append(body, actions);
    this.options.onShown?.({
      title: n.title,
      text: n.detail ? `${n.text}\n${n.detail}` : n.text,
      kind: n.kind,
      at: new Date().toISOString(),
    });
    // Newest first in the DOM; the stylesheet turns bottom positions around.
    this.container.prepend(element);
    this.makeRoom();

    // Failures stay until someone has seen and dismissed them.
    if (n.kind !== "failure" && this.options.duration > 0) {
      this.timers.set(element, setTimeout(() => this.dismiss(element), this.options.duration));
    }
    return element;
  }

  private makeRoom(): void {
    const shown = Array.from(this.container.children).filter(
      (el): el is HTMLElement => el instanceof HTMLElement && el.classList.contains("notification"),
    );
    if (shown.length <= MAX_VISIBLE) return;
    const passing = shown.filter((el) => this.timers.has(el));
    const oldest = passing.length > 0 ? passing[passing.length - 1] : shown[shown.length - 1];
    if (oldest) this.dismiss(oldest);
  }
}

function statusWord(status: string): string {
  if (status === "aborted") return "Aborted";
  if (status === "internal_error") return "Internal error";
  return "Failed";
}

function describe(event: JobEvent): string {
  const where = `\u201c${event.job.name}\u201d on ${event.server.name}`;
  const run = `run ${event.run.id}`;
  switch (event.type) {
    case "job_started":
      return event.run.agent_host
        ? `${where}, ${run} on agent ${event.run.agent_host}`
        : `${where}, ${run}`;
    case "job_succeeded":
    case "job_failed":
    case "job_aborted":
      return event.run.duration !== null
        ? `${where}, ${run} after ${formatDuration(event.run.duration)}`
        : `${where}, ${run}`;
    default:
      return where;
  }
}
