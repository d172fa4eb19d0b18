/** The selected job's panels: its properties, and its statistics (the run history, paged). */

import type { ApiClient } from "./api";
import { ApiError } from "./api";
import { formatDuration, formatTime, statusClass, statusLabel } from "./format";
import { displayStatus, findJob, type JobNode, type Store } from "./model";
import type { DetailsTab } from "./viewstate";
import type { RunRecord, StepRun } from "./wire";

/** Runs per page of the history. */
export const PAGE_SIZE = 20;

/** The excerpt of a step's output in the history is at most this many bytes. */
const EXCERPT_BYTES = 2048;

export interface DetailsOptions {
  api: Pick<ApiClient, "runs" | "stepOutput">;
  store: Store;
  tab: DetailsTab;
  onTabChange(tab: DetailsTab): void;
}

interface Selected {
  serverId: string;
  jobId: number;
}

/** Draws the details of one job into `root`, and keeps them current while it is shown. */
export class DetailsPanel {
  private selected: Selected | null = null;
  private tab: DetailsTab;
  private drawnJob: JobNode | null = null;
  /** The history shown, the cursor of the next page, and which load is the latest. */
  private runs: RunRecord[] = [];
  private nextBefore: number | null = null;
  private historyFor = "";
  private loading = 0;
  private historyRun = "";

  private readonly title: HTMLElement;
  private readonly tabs: Record<DetailsTab, HTMLButtonElement>;
  private readonly properties: HTMLElement;
  private readonly statistics: HTMLElement;
  private readonly runList: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly historyNote: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: DetailsOptions,
  ) {
    const doc = root.ownerDocument;
    this.tab = options.tab;
    this.title = el(doc, "h2", "details-title");
    const tablist = el(doc, "div", "tabs");
    tablist.setAttribute("role", "tablist");
    this.properties = el(doc, "div", "tab-panel properties");
    this.statistics = el(doc, "div", "tab-panel statistics");
    this.tabs = {
      properties: this.tabButton(doc, "properties", "Properties", this.properties),
      statistics: this.tabButton(doc, "statistics", "Statistics", this.statistics),
    };
    tablist.append(this.tabs.properties, this.tabs.statistics);

    this.runList = el(doc, "div", "runs");
    this.historyNote = el(doc, "p", "details-empty");
    this.historyNote.setAttribute("role", "status");
    this.more = el(doc, "button", "runs-more");
    this.more.type = "button";
    this.more.textContent = "Load older runs";
    this.more.addEventListener("click", () => void this.loadRuns(false));
    this.statistics.append(this.runList, this.historyNote, this.more);

    root.replaceChildren(this.title, tablist, this.properties, this.statistics);
    options.store.subscribe(() => this.draw());
    this.show(null);
  }

  /** Shows the given job's details, or says how to choose one. */
  show(job: Selected | null): void {
    this.selected = job;
    this.drawnJob = null;
    this.runs = [];
    this.nextBefore = null;
    this.historyFor = "";
    this.historyRun = "";
    this.runList.replaceChildren();
    this.draw();
  }

  private tabButton(
    doc: Document,
    tab: DetailsTab,
    label: string,
    panel: HTMLElement,
  ): HTMLButtonElement {
    const button = el(doc, "button", "tab");
    button.type = "button";
    button.id = `tab-${tab}`;
    button.dataset.tab = tab;
    button.setAttribute("role", "tab");
    button.textContent = label;
    panel.id = `panel-${tab}`;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", button.id);
    button.setAttribute("aria-controls", panel.id);
    button.addEventListener("click", () => {
      this.tab = tab;
      this.options.onTabChange(tab);
      this.drawnJob = null;
      this.draw();
    });
    return button;
  }

  private draw(): void {
    const sel = this.selected;
    const job = sel ? findJob(this.options.store.get(), sel.serverId, sel.jobId) : undefined;
    this.root.dataset.jobId = job ? String(job.id) : "";
    for (const [tab, button] of Object.entries(this.tabs)) {
      const active = tab === this.tab;
      button.setAttribute("aria-selected", String(active));
      button.tabIndex = active ? 0 : -1;
      button.hidden = !job;
    }
    this.properties.hidden = !job || this.tab !== "properties";
    this.statistics.hidden = !job || this.tab !== "statistics";

    if (!sel || !job) {
      this.title.textContent = sel ? "The job no longer exists" : "Select a job";
      this.properties.replaceChildren();
      return;
    }
    if (job === this.drawnJob) return;
    this.drawnJob = job;
    this.title.textContent = job.name;

    if (this.tab === "properties") this.drawProperties(job);
    else this.followHistory(sel, job);
  }

  private drawProperties(job: JobNode): void {
    const doc = this.root.ownerDocument;
    const list = el(doc, "dl", "facts");
    const fact = (term: string, value: string): void => {
      const dt = el(doc, "dt", "");
      dt.textContent = term;
      const dd = el(doc, "dd", "");
      dd.textContent = value;
      list.append(dt, dd);
    };
    const run = job.last_run;
    const time = (iso: string | null | undefined, none: string): string =>
      iso ? formatTime(iso) : none;

    fact("Name", job.name);
    fact("ID", String(job.id));
    fact("Enabled", job.enabled ? "Yes" : "No");
    // Class, creation and change come with the job's own load, not with the snapshot.
    const unknown = job.steps === null ? "Loading\u2026" : "Not told by the service";
    fact("Class", job.job_class === undefined ? unknown : job.job_class || "None");
    fact("Host agent", job.host_agent || "Any host");
    fact("Created", time(job.created, unknown));
    fact("Changed", time(job.changed, unknown));
    fact("Next run", time(job.next_run, "Not scheduled"));
    fact("Last run", run ? time(run.started_at, "Unknown") : "Never");
    fact("Last result", run ? resultText(run.status, run.duration) : "None");
    fact(
      "Running on",
      job.status === "running" ? job.agentHost || "an agent (host not known yet)" : "Not running",
    );
    fact("Status", statusLabel(displayStatus(job)));
    fact("Description", job.description || "None");
    this.properties.replaceChildren(list);
  }

  /** Loads the first page when a job is shown, and again when its last run has changed. */
  private followHistory(sel: Selected, job: JobNode): void {
    const forJob = `${sel.serverId}/${sel.jobId}`;
    const run = job.last_run ? `${job.last_run.id}/${job.last_run.status}` : "";
    if (forJob === this.historyFor && run === this.historyRun) return;
    this.historyFor = forJob;
    this.historyRun = run;
    void this.loadRuns(true);
  }

  private async loadRuns(first: boolean): Promise<void> {
    const sel = this.selected;
    if (!sel) return;
    const load = ++this.loading;
    this.more.disabled = true;
    this.historyNote.textContent = "Loading runs\u2026";
    try {
      const before = first ? null : this.nextBefore;
      const page = await this.options.api.runs(sel.serverId, sel.jobId, before, PAGE_SIZE);
      if (load !== this.loading || sel !== this.selected) return;
      this.runs = first ? page.runs : [...this.runs, ...page.runs];
      this.nextBefore = page.next_before;
      if (first) this.runList.replaceChildren();
      this.runList.append(...page.runs.map((run) => this.runElement(sel, run)));
      this.historyNote.textContent = this.runs.length === 0 ? "This job has never run." : "";
    } catch (error) {
      if (load !== this.loading) return;
      this.historyNote.textContent = explain(error);
    } finally {
      if (load === this.loading) {
        this.more.disabled = false;
        this.more.hidden = this.nextBefore === null;
      }
    }
  }

  private runElement(sel: Selected, run: RunRecord): HTMLElement {
    const doc = this.root.ownerDocument;
    const item = el(doc, "details", "run");
    item.dataset.runId = String(run.id);
    item.dataset.status = run.status;
    const summary = el(doc, "summary", "run-summary");
    const badge = el(doc, "span", `badge ${statusClass(run.status)}`);
    badge.textContent = statusLabel(run.status);
    const when = el(doc, "time", "run-start");
    when.textContent = run.started_at ? formatTime(run.started_at) : "";
    when.setAttribute("datetime", run.started_at);
    const took = el(doc, "span", "run-duration");
    took.textContent = run.duration !== null ? formatDuration(run.duration) : "";
    const id = el(doc, "span", "run-id");
    id.textContent = `run ${run.id}`;
    summary.append(badge, when, took, id);

    const table = el(doc, "table", "steps");
    const head = el(doc, "tr", "");
    for (const title of ["Step", "Status", "Result", "Duration", "Output"]) {
      const th = el(doc, "th", "");
      th.textContent = title;
      head.append(th);
    }
    table.append(head);
    for (const step of run.steps) table.append(this.stepRow(sel, run, step));
    item.append(summary, table);
    return item;
  }

  private stepRow(sel: Selected, run: RunRecord, step: StepRun): HTMLElement {
    const doc = this.root.ownerDocument;
    const row = el(doc, "tr", "step-run");
    row.dataset.stepRunId = String(step.id);
    const cell = (text: string, className = ""): HTMLElement => {
      const td = el(doc, "td", className);
      td.textContent = text;
      row.append(td);
      return td;
    };
    cell(step.name, "step-run-name");
    cell(statusLabel(step.status), `step-run-status ${statusClass(step.status)}`);
    cell(step.result === null ? "" : String(step.result), "step-run-result");
    cell(step.duration === null ? "" : formatDuration(step.duration), "step-run-duration");

    const out = cell("", "step-run-output");
    const pre = el(doc, "pre", "output");
    pre.textContent = step.output;
    pre.hidden = !step.output;
    out.append(pre);
    const cut = step.output_size > EXCERPT_BYTES || step.output_size > utf8Length(step.output);
    if (cut) {
      const more = el(doc, "button", "output-full");
      more.type = "button";
      more.textContent = `Show all ${step.output_size.toLocaleString()} bytes`;
      more.addEventListener("click", () => {
        more.disabled = true;
        more.textContent = "Loading\u2026";
        this.options.api
          .stepOutput(sel.serverId, run.id, step.id)
          .then((whole) => {
            pre.textContent = whole;
            pre.hidden = false;
            more.remove();
          })
          .catch((error: unknown) => {
            more.disabled = false;
            more.textContent = `Could not load the output: ${explain(error)} Try again`;
          });
      });
      out.append(more);
    }
    return row;
  }
}

function resultText(status: string, duration: number | null): string {
  const label = statusLabel(status);
  return duration === null ? label : `${label} after ${formatDuration(duration)}`;
}

function explain(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className: string,
): HTMLElementTagNameMap[K] {
  const element = doc.createElement(tag);
  if (className) element.className = className;
  return element;
}
