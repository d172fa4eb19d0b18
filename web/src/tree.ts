/** The job tree, Servers > server > pgAgent Jobs > job, redrawn from the store once a frame. */

import type { JobActions } from "./actions";
import type { ServerClock } from "./clock";
import {
  formatDuration,
  formatTime,
  serverStateLabel,
  serverStateMeaning,
  statusClass,
  statusLabel,
} from "./format";
import {
  displayStatus,
  isWatched,
  queueNote,
  stepOf,
  type JobNode,
  type ServerNode,
  type Store,
  type TreeState,
} from "./model";
import { jobKey, parseJobKey, type ViewState } from "./viewstate";

export interface TreeOptions {
  /** What is open and selected; the listener changes it and calls `onViewChange`. */
  view?: ViewState;
  onViewChange?(view: ViewState): void;
  /** A job was selected (null: nothing is). */
  onSelect?(job: { serverId: string; jobId: number } | null): void;
  /** The context menu of a job was asked for, by mouse at (x, y) or by keyboard. */
  onContextMenu?(job: { serverId: string; jobId: number }, x: number, y: number, from: HTMLElement): void;
  /** The service's clock, for the elapsed time of running jobs. */
  clock?: ServerClock;
}

export interface JobStatusListener {
  /** Draws now what is pending, instead of at the next frame. */
  flush(): void;
  dispose(): void;
}

type Tags = HTMLElementTagNameMap;

export type FrameScheduler = (draw: () => void) => void;

const nextFrame: FrameScheduler = (draw) => {
  requestAnimationFrame(() => draw());
};

/**
 * Draws the tree into `root` and keeps it in step with the store. A burst of events (a batch,
 * a replay after a reconnect) changes the store many times but redraws once, at the next frame,
 * and only the nodes whose state changed.
 */
export function setupJobStatusListener(
  root: HTMLElement,
  store: Store,
  actions: JobActions,
  schedule: FrameScheduler = nextFrame,
  options: TreeOptions = {},
): JobStatusListener {
  const view = new TreeView(root, actions, options);
  let queued = false;
  // Running jobs' elapsed time ticks between events, by the service's clock.
  const ticker = setInterval(() => view.tick(), 1000);

  const draw = (): void => {
    queued = false;
    view.render(store.get());
  };
  const unsubscribe = store.subscribe(() => {
    if (queued) return;
    queued = true;
    schedule(() => {
      if (queued) draw();
    });
  });
  view.onToggle = draw;
  draw();

  return {
    flush: () => {
      if (queued) draw();
    },
    dispose: () => {
      clearInterval(ticker);
      unsubscribe();
      queued = false;
      root.replaceChildren();
    },
  };
}

interface ServerView {
  element: HTMLLIElement;
  name: HTMLElement;
  state: HTMLElement;
  agents: HTMLElement;
  message: HTMLElement;
  children: HTMLUListElement;
  collection: HTMLLIElement;
  count: HTMLElement;
  jobList: HTMLUListElement;
  empty: HTMLElement;
  jobs: Map<number, JobView>;
  drawn: ServerNode | null;
}

interface JobView {
  element: HTMLLIElement;
  icon: HTMLElement;
  name: HTMLElement;
  status: HTMLElement;
  progress: HTMLElement;
  bar: HTMLProgressElement;
  stepText: HTMLElement;
  elapsed: HTMLElement;
  nextRun: HTMLElement;
  lastRun: HTMLElement;
  run: HTMLButtonElement;
  refresh: HTMLButtonElement;
  note: HTMLElement;
  error: HTMLElement;
  details: HTMLElement;
  drawn: JobNode | null;
  drawnExpanded: boolean;
}

class TreeView {
  /** Called after a node was opened or closed, to redraw at once. */
  onToggle: () => void = () => {};

  private readonly doc: Document;
  private readonly rootItem: HTMLLIElement;
  private readonly rootCount: HTMLElement;
  private readonly serverList: HTMLUListElement;
  private readonly rootEmpty: HTMLElement;
  private readonly servers = new Map<string, ServerView>();
  /** Servers and collections are open unless closed; jobs are closed unless opened. */
  private readonly closed: Set<string>;
  private readonly opened: Set<string>;
  private readonly view: ViewState;
  private readonly tree: HTMLUListElement;
  /** Job views drawn as running, whose elapsed time ticks. */
  private readonly running = new Set<JobView>();
  private state: TreeState | null = null;
  private focusKey = "root";

  constructor(
    root: HTMLElement,
    private readonly actions: JobActions,
    private readonly options: TreeOptions,
  ) {
    this.doc = root.ownerDocument;
    this.view = options.view ?? {
      selected: null,
      opened: new Set(),
      closed: new Set(),
      tab: "properties",
    };
    this.opened = this.view.opened;
    this.closed = this.view.closed;
    if (this.view.selected) this.focusKey = this.view.selected;
    const tree = this.el("ul", "tree");
    this.tree = tree;
    tree.setAttribute("role", "tree");
    tree.setAttribute("aria-label", "Servers");

    this.rootItem = this.el("li", "tree-node servers-root");
    this.rootItem.setAttribute("role", "treeitem");
    this.rootItem.dataset.key = "root";
    this.rootCount = this.el("span", "count");
    this.serverList = this.group();
    this.rootEmpty = this.el("p", "tree-empty");
    this.rootItem.append(
      this.row([
        this.toggle(),
        this.el("span", "icon icon-servers"),
        this.label("Servers"),
        this.rootCount,
      ]),
      this.serverList,
      this.rootEmpty,
    );
    tree.append(this.rootItem);
    root.replaceChildren(tree);
    root.addEventListener("click", (event) => this.click(event));
    root.addEventListener("contextmenu", (event) => this.contextMenu(event));
    tree.addEventListener("keydown", (event) => this.key(event));
    this.rootItem.tabIndex = 0;
  }

  /** Updates the elapsed time of running jobs. */
  tick(): void {
    for (const view of this.running) this.drawElapsed(view);
  }

  // Known shortcoming: the first draw of a large snapshot builds every node in one task (about
  // 0.7 s for 2,000 jobs, see bench/page_tree.py); later draws touch changed jobs only.
  // Drawing the first time in slices, or only the rows in view, would shorten that stall.
  render(state: TreeState): void {
    this.state = state;
    this.rootCount.textContent = `(${state.servers.length})`;
    this.rootEmpty.textContent = state.loaded ? "No servers are monitored." : "Loading\u2026";
    this.rootEmpty.hidden = state.servers.length > 0;
    this.setOpen(this.rootItem, this.serverList, !this.closed.has("root"));

    const seen = new Set<string>();
    const elements = state.servers.map((server) => {
      seen.add(server.id);
      let view = this.servers.get(server.id);
      if (!view) {
        view = this.createServer(server.id);
        this.servers.set(server.id, view);
      }
      this.drawServer(view, server);
      return view.element;
    });
    for (const [id, view] of this.servers) {
      if (!seen.has(id)) {
        view.element.remove();
        this.servers.delete(id);
      }
    }
    place(this.serverList, elements);
  }

  private createServer(serverId: string): ServerView {
    const element = this.el("li", "tree-node server");
    element.setAttribute("role", "treeitem");
    element.dataset.serverId = serverId;
    element.dataset.key = `s:${serverId}`;
    element.tabIndex = -1;
    const name = this.el("span", "server-name");
    const state = this.el("span", "server-state badge");
    const agents = this.el("span", "server-agents");
    const message = this.el("p", "server-message");

    const collection = this.el("li", "tree-node collection jobs-collection");
    collection.setAttribute("role", "treeitem");
    collection.dataset.key = `c:${serverId}`;
    collection.tabIndex = -1;
    const count = this.el("span", "count");
    const jobList = this.group();
    const empty = this.el("p", "tree-empty");
    empty.textContent = "No jobs.";
    collection.append(
      this.row([
        this.toggle(),
        this.el("span", "icon icon-jobs"),
        this.label("pgAgent Jobs"),
        count,
      ]),
      jobList,
      empty,
    );

    const children = this.group();
    children.append(collection);
    element.append(
      this.row([this.toggle(), this.el("span", "icon icon-server"), name, state, agents]),
      message,
      children,
    );
    return {
      element,
      name,
      state,
      agents,
      message,
      children,
      collection,
      count,
      jobList,
      empty,
      jobs: new Map(),
      drawn: null,
    };
  }

  private drawServer(view: ServerView, server: ServerNode): void {
    const open = !this.closed.has(`s:${server.id}`);
    const collectionOpen = !this.closed.has(`c:${server.id}`);
    this.setOpen(view.element, view.children, open);
    this.setOpen(view.collection, view.jobList, collectionOpen);

    if (view.drawn !== server) {
      view.element.dataset.state = server.state;
      view.name.textContent = server.name;
      view.state.textContent = serverStateLabel(server.state);
      view.state.dataset.state = server.state;
      const meaning = serverStateMeaning(server.state);
      view.state.title = meaning;
      // In words beyond the badge: the service's message, or what a quiet state means.
      const words = server.state === "live" ? server.message : server.message || meaning;
      view.message.textContent = words;
      view.message.hidden = !words;
      view.count.textContent = `(${server.jobs.length})`;
      this.drawAgents(view, server);
      view.empty.textContent = server.jobsLoaded
        ? "No jobs."
        : "The jobs show once the service has read this server.";
      view.empty.hidden = server.jobs.length > 0;
    }

    const seen = new Set<number>();
    const elements = server.jobs.map((job) => {
      seen.add(job.id);
      let jobView = view.jobs.get(job.id);
      if (!jobView) {
        jobView = this.createJob(server.id, job.id);
        view.jobs.set(job.id, jobView);
      }
      this.drawJob(jobView, job, this.opened.has(`j:${server.id}:${job.id}`));
      return jobView.element;
    });
    for (const [id, jobView] of view.jobs) {
      if (!seen.has(id)) {
        jobView.element.remove();
        view.jobs.delete(id);
      }
    }
    place(view.jobList, elements);
    view.drawn = server;
  }

  /** The server's live agents, from the snapshot and `agent_online` / `agent_offline`. */
  private drawAgents(view: ServerView, server: ServerNode): void {
    const target = view.agents;
    // A server the service cannot read has no known agents, not none: say nothing of them.
    const known = isWatched(server.state) ? server.agents : null;
    const live = known?.filter((a) => a.alive) ?? null;
    setData(view.element, "agents", live ? String(live.length) : null);
    target.hidden = live === null;
    if (!live) return;
    const hosts = [...new Set(live.map((a) => a.host || "unknown host"))].join(", ");
    target.textContent =
      live.length === 0
        ? "No pgAgent daemon running: jobs will not start"
        : `${live.length} ${live.length === 1 ? "agent" : "agents"} (${hosts})`;
    target.dataset.kind = live.length === 0 ? "error" : "info";
  }

  private createJob(serverId: string, jobId: number): JobView {
    const element = this.el("li", "tree-node job");
    element.setAttribute("role", "treeitem");
    element.dataset.serverId = serverId;
    element.dataset.jobId = String(jobId);
    element.dataset.key = jobKey(serverId, jobId);
    element.tabIndex = -1;
    element.setAttribute("aria-selected", "false");

    const icon = this.el("span", "icon status-icon");
    icon.setAttribute("aria-hidden", "true");
    const name = this.el("span", "job-name");
    const status = this.el("span", "job-status badge");
    const progress = this.el("span", "job-progress");
    const bar = this.el("progress", "job-bar");
    const stepText = this.el("span", "job-step");
    const elapsed = this.el("span", "job-elapsed");
    progress.append(bar, stepText, elapsed);
    const lastRun = this.el("span", "job-last-run");
    const nextRun = this.el("span", "job-next-run");
    const run = this.button("job-run", "run", "Run now");
    const refresh = this.button("job-refresh", "refresh", "Refresh");
    const buttons = this.el("span", "job-actions");
    buttons.append(run, refresh);
    const note = this.el("p", "job-note");
    note.setAttribute("role", "status");
    const error = this.el("pre", "job-error");
    const details = this.el("div", "job-details");

    element.append(
      this.row([
        this.toggle(),
        icon,
        name,
        status,
        progress,
        lastRun,
        nextRun,
        buttons,
      ]),
      note,
      error,
      details,
    );
    return {
      element,
      icon,
      name,
      status,
      progress,
      bar,
      stepText,
      elapsed,
      nextRun,
      lastRun,
      run,
      refresh,
      note,
      error,
      details,
      drawn: null,
      drawnExpanded: false,
    };
  }

  private drawJob(view: JobView, job: JobNode, expanded: boolean): void {
    if (view.drawn === job && view.drawnExpanded === expanded) return;
    const { element } = view;

    element.dataset.status = job.status;
    const shown = displayStatus(job);
    element.dataset.display = shown;
    view.icon.className = `icon status-icon ${statusClass(shown)}`;
    element.classList.toggle("job-disabled", !job.enabled);
    element.classList.toggle("job-missing", job.missing);
    setData(element, "pending", job.pending);
    setData(element, "missing", job.missing ? "true" : null);
    view.name.textContent = job.name;
    // The name may be cut to keep the row on one line: the tooltip holds it whole.
    view.name.title = job.description ? `${job.name}\n${job.description}` : job.name;

    const label = statusLabel(shown);
    view.status.textContent =
      job.enabled || shown === "disabled" ? label : `${label} (disabled)`;
    view.status.className = `job-status badge ${statusClass(shown)}`;

    const step = stepOf(job);
    view.stepText.textContent = step && step.n > 0 ? `step ${step.k} of ${step.n}` : "starting";
    view.bar.max = Math.max(step?.n ?? 1, 1);
    view.bar.value = job.last_run?.steps_done ?? 0;
    view.bar.setAttribute(
      "aria-label",
      `${job.last_run?.steps_done ?? 0} of ${step?.n ?? 0} steps done`,
    );
    view.progress.hidden = !step && !job.queued;
    view.bar.hidden = !step;
    if (step) this.running.add(view);
    else this.running.delete(view);
    if (job.queued && !step) {
      view.stepText.textContent = job.queued.late
        ? "queued for agent, not started"
        : "queued for agent";
      view.elapsed.textContent = "";
    }

    view.nextRun.textContent = job.next_run ? `Next: ${formatTime(job.next_run)}` : "";
    view.nextRun.hidden = !job.next_run;

    this.drawLastRun(view.lastRun, job);

    view.run.disabled = job.pending !== null || !job.enabled || job.missing;
    view.run.title = job.enabled
      ? "Ask the agent to run this job at its next poll"
      : "The job is disabled";
    view.refresh.disabled = job.pending !== null;
    view.refresh.textContent = job.pending === "refresh" ? "Refreshing\u2026" : "Refresh";
    view.run.textContent = job.pending === "run" ? "Requesting\u2026" : "Run now";

    // Why a job waits or is late matters more than a passing note.
    const warning = queueNote(job) ?? job.overdue;
    const note = warning ? { kind: "error" as const, text: warning } : job.note;
    view.note.textContent = note?.text ?? "";
    view.note.hidden = !note;
    setData(view.note, "kind", note?.kind ?? null);

    const failed = job.status === "failed" || job.status === "internal_error";
    view.error.textContent = failed && job.error ? job.error : "";
    view.error.hidden = !(failed && job.error);

    this.setOpen(element, view.details, expanded);
    if (expanded) this.drawDetails(view.details, job);
    else view.details.replaceChildren();

    element.setAttribute("aria-selected", String(this.view.selected === element.dataset.key));
    element.tabIndex = this.focusKey === element.dataset.key ? 0 : -1;
    this.drawn.set(view, job);
    this.drawElapsed(view);

    view.drawn = job;
    view.drawnExpanded = expanded;
  }

  private readonly drawn = new WeakMap<JobView, JobNode>();

  private drawElapsed(view: JobView): void {
    const job = this.drawn.get(view);
    const run = job?.last_run;
    if (!job || !run || !this.running.has(view)) return;
    const seconds = this.options.clock?.since(run.started_at) ?? null;
    view.elapsed.textContent = seconds === null ? "" : formatDuration(seconds);
  }

  private drawLastRun(target: HTMLElement, job: JobNode): void {
    const run = job.last_run;
    if (!run) {
      target.replaceChildren(this.text("span", "last-run-none", "Never run"));
      return;
    }
    const parts: Node[] = [];
    if (run.status === "running") {
      parts.push(this.text("span", "last-run-status", "Started"));
    } else {
      parts.push(this.text("span", "last-run-status", `Last run: ${statusLabel(run.status)}`));
    }
    if (run.started_at) {
      const time = this.text("time", "last-run-start", formatTime(run.started_at));
      time.setAttribute("datetime", run.started_at);
      parts.push(time);
    }
    if (run.duration !== null) {
      parts.push(this.text("span", "last-run-duration", formatDuration(run.duration)));
    }
    target.replaceChildren(...parts);
  }

  private drawDetails(target: HTMLElement, job: JobNode): void {
    const facts = this.el("dl", "job-facts");
    const fact = (term: string, value: string): void => {
      facts.append(this.text("dt", "", term), this.text("dd", "", value));
    };
    if (job.description) fact("Description", job.description);
    fact("Enabled", job.enabled ? "Yes" : "No");
    fact("Host agent", job.host_agent || "Any");
    fact("Next run", job.next_run ? formatTime(job.next_run) : "Not scheduled");
    target.replaceChildren(facts);

    if (job.steps === null || job.schedules === null) {
      const loading = job.pending === "refresh" ? "Loading steps and schedules\u2026" : "";
      if (loading) target.append(this.text("p", "tree-empty", loading));
      return;
    }
    const lists = this.group();
    lists.append(
      this.collection("Steps", "icon-steps", job.steps.map((s) => {
        const extra = `${s.kind === "batch" ? "batch" : "SQL"}, on error: ${s.on_error}`;
        return this.leaf("step", "icon-step", s.name, s.enabled ? extra : `${extra}, disabled`);
      })),
      this.collection("Schedules", "icon-schedules", job.schedules.map((s) =>
        this.leaf("schedule", "icon-schedule", s.name, s.enabled ? "" : "disabled"),
      )),
    );
    target.append(lists);
  }

  private collection(title: string, icon: string, items: HTMLElement[]): HTMLLIElement {
    const item = this.el("li", "tree-node collection");
    item.setAttribute("role", "treeitem");
    const list = this.group();
    list.append(...items);
    item.append(
      this.row([
        this.el("span", `icon ${icon}`),
        this.label(title),
        this.text("span", "count", `(${items.length})`),
      ]),
      list,
    );
    return item;
  }

  private leaf(kind: string, icon: string, name: string, note: string): HTMLLIElement {
    const item = this.el("li", `tree-node ${kind}`);
    item.setAttribute("role", "treeitem");
    const parts: Node[] = [
      this.el("span", `icon ${icon}`),
      this.text("span", `${kind}-name`, name),
    ];
    if (note) parts.push(this.text("span", "node-note", note));
    item.append(this.row(parts));
    return item;
  }

  /** Selects a node (a job opens its details), makes it the one that takes focus. */
  select(key: string, focus = false): void {
    const previous = this.view.selected;
    this.view.selected = key;
    for (const k of [previous, key]) {
      const item = k ? this.item(k) : null;
      item?.setAttribute("aria-selected", String(k === key));
    }
    this.moveFocus(key, focus);
    if (previous !== key) {
      this.options.onSelect?.(parseJobKey(key));
      this.options.onViewChange?.(this.view);
    }
  }

  private item(key: string): HTMLElement | null {
    return this.tree.querySelector<HTMLElement>(`li[data-key="${CSS.escape(key)}"]`);
  }

  private moveFocus(key: string, focus: boolean): void {
    const old = this.item(this.focusKey);
    if (old) old.tabIndex = -1;
    this.focusKey = key;
    const item = this.item(key);
    if (!item) return;
    item.tabIndex = 0;
    if (focus) item.focus();
  }

  private contextMenu(event: MouseEvent): void {
    const target = event.target instanceof Element ? event.target : null;
    const node = target?.closest<HTMLElement>("li.job");
    const job = parseJobKey(node?.dataset.key ?? null);
    if (!node || !job || !this.options.onContextMenu) return;
    event.preventDefault();
    this.select(node.dataset.key!, true);
    this.options.onContextMenu(job, event.clientX, event.clientY, node);
  }

  /** Moves through the visible nodes with the keys of an ARIA tree. */
  private key(event: KeyboardEvent): void {
    const current = event.target instanceof HTMLElement ? event.target : null;
    if (!current || current.getAttribute("role") !== "treeitem") return;
    const items = Array.from(
      this.tree.querySelectorAll<HTMLElement>('li[role="treeitem"][data-key]'),
    ).filter((item) => item.parentElement?.closest("[hidden]") === null);
    const index = items.indexOf(current);
    const key = current.dataset.key ?? "";
    const expanded = current.getAttribute("aria-expanded") === "true";
    const go = (item: HTMLElement | undefined): void => {
      if (item?.dataset.key) this.select(item.dataset.key, true);
    };

    switch (event.key) {
      case "ArrowDown":
        go(items[index + 1]);
        break;
      case "ArrowUp":
        go(items[index - 1]);
        break;
      case "Home":
        go(items[0]);
        break;
      case "End":
        go(items[items.length - 1]);
        break;
      case "ArrowRight":
        if (!expanded) this.toggleKey(current, key);
        else go(items[index + 1]);
        break;
      case "ArrowLeft":
        if (expanded) this.toggleKey(current, key);
        else go(current.parentElement?.closest<HTMLElement>("li[data-key]") ?? undefined);
        break;
      case "Enter":
      case " ":
        this.select(key, true);
        break;
      case "ContextMenu":
      case "F10": {
        if (event.key === "F10" && !event.shiftKey) return;
        const job = parseJobKey(key);
        if (!job || !this.options.onContextMenu) return;
        const box = current.getBoundingClientRect();
        this.options.onContextMenu(job, box.left + 40, box.top + 20, current);
        break;
      }
      default:
        return;
    }
    event.preventDefault();
  }

  private toggleKey(node: HTMLElement, key: string): void {
    if (node.classList.contains("job")) {
      const job = parseJobKey(key);
      this.toggleJob(key, job?.serverId, job?.jobId ?? NaN);
    } else if (!this.closed.delete(key)) {
      this.closed.add(key);
    }
    this.options.onViewChange?.(this.view);
    this.onToggle();
  }

  private click(event: Event): void {
    const target = event.target instanceof Element ? event.target : null;
    const button = target?.closest<HTMLButtonElement>("button[data-action]");
    if (!button) {
      const row = target?.closest<HTMLElement>(".node-row");
      const item = row?.parentElement;
      if (item?.dataset.key) this.select(item.dataset.key, true);
      return;
    }
    const node = button.closest<HTMLElement>("li.tree-node");
    if (!node || button.disabled) return;

    const key = node.dataset.key ?? "";
    const serverId = node.dataset.serverId;
    const jobId = Number(node.dataset.jobId);
    switch (button.dataset.action) {
      case "toggle":
        this.toggleKey(node, key);
        break;
      case "refresh":
        if (serverId !== undefined) void this.actions.refreshJobNode(serverId, jobId);
        break;
      case "run":
        if (serverId !== undefined) void this.actions.runJobNow(serverId, jobId);
        break;
    }
  }

  /** Opens or closes a job; opening one whose steps were never loaded loads them. */
  private toggleJob(key: string, serverId: string | undefined, jobId: number): void {
    if (this.opened.delete(key)) return;
    this.opened.add(key);
    const server = this.state?.servers.find((s) => s.id === serverId);
    const job = server?.jobs.find((j) => j.id === jobId);
    if (serverId !== undefined && job && job.steps === null && job.pending === null) {
      void this.actions.refreshJobNode(serverId, jobId);
    }
  }

  private setOpen(item: HTMLElement, children: HTMLElement, open: boolean): void {
    item.setAttribute("aria-expanded", String(open));
    children.hidden = !open;
    const toggle = item.firstElementChild?.querySelector(".toggle");
    if (toggle) {
      toggle.setAttribute("aria-label", open ? "Collapse" : "Expand");
      toggle.textContent = open ? "\u25be" : "\u25b8";
    }
  }

  private el<K extends keyof Tags>(tag: K, className: string): Tags[K] {
    const element = this.doc.createElement(tag);
    if (className) element.className = className;
    return element;
  }

  private text<K extends keyof Tags>(tag: K, className: string, content: string): Tags[K] {
    const element = this.el(tag, className);
    element.textContent = content;
    return element;
  }

  private label(content: string): HTMLElement {
    return this.text("span", "node-label", content);
  }

  private group(): HTMLUListElement {
    const list = this.el("ul", "tree-children");
    list.setAttribute("role", "group");
    return list;
  }

  private row(parts: Node[]): HTMLElement {
    const row = this.el("div", "node-row");
    row.append(...parts);
    return row;
  }

  private toggle(): HTMLButtonElement {
    return this.button("toggle", "toggle", "\u25be");
  }

  private button(className: string, action: string, content: string): HTMLButtonElement {
    const button = this.text("button", className, content);
    button.type = "button";
    button.dataset.action = action;
    return button;
  }
}

/** Puts `elements` into `parent` in this order, moving only those out of place. */
function place(parent: HTMLElement, elements: HTMLElement[]): void {
  elements.forEach((element, index) => {
    const current = parent.children[index];
    if (current !== element) parent.insertBefore(element, current ?? null);
  });
  while (parent.children.length > elements.length) parent.lastElementChild?.remove();
}

function setData(element: HTMLElement, name: string, value: string | null): void {
  if (value === null) delete element.dataset[name];
  else element.dataset[name] = value;
}
