/** The tree's state (Servers > pgAgent Jobs > job) as a pure reducer over snapshots and events. */

import type {
  Agent,
  JobDetail,
  JobEvent,
  JobSchedule,
  JobState,
  JobStep,
  LastRun,
  ServerSnapshot,
  ServerStatus,
  Snapshot,
} from "./wire";

/** The step a running job is on, as the last step event told it. */
export interface CurrentStep {
  runId: number;
  position: number;
  total: number;
  name: string;
}

/** A line of feedback under a job node, such as "Refreshed" or why a run request failed. */
export interface Note {
  id: number;
  kind: "info" | "error";
  text: string;
}

export interface JobNode extends JobState {
  step: CurrentStep | null;
  /** The failing step's output of the last failed run, from its `job_failed` event. */
  error: string | null;
  /** Steps and schedules, once the job has been loaded on its own. */
  steps: JobStep[] | null;
  schedules: JobSchedule[] | null;
  pending: "refresh" | "run" | null;
  note: Note | null;
  /** The service said the job no longer exists. */
  missing: boolean;
  /**
   * A run was asked for and has not started yet: since when (ms, page clock), why no agent may
   * take it (from what the service tells of the agents), and whether it has waited too long.
   */
  queued: { since: number; warning: string | null; late: boolean } | null;
  /** The job's schedule said it should have run and it did not: why, in words. */
  overdue: string | null;
  /** The host of the agent that runs (or ran) the last run, when an event told it. */
  agentHost: string | null;
}

export interface ServerNode {
  id: string;
  name: string;
  state: string;
  message: string;
  jobs: JobNode[];
  /** The server's pgAgent daemons, when the service tells them. */
  agents: Agent[] | null;
  /**
   * Whether `jobs` came from the server being watched: false while it had not been read
   * (connecting, unreachable, ...) when the snapshot was taken, so its jobs are still to load.
   */
  jobsLoaded: boolean;
}

export interface TreeState {
  /** False until the first snapshot or listing arrives. */
  loaded: boolean;
  epoch: string | null;
  /** The sequence number of the last event applied in `epoch`. */
  seq: number;
  /**
   * The database time the page is up to date with: the `occurred_at` of the last event
   * applied, or an estimate no later than the last snapshot. Sent on reconnect as `at`.
   */
  at: string | null;
  servers: ServerNode[];
}

export type Action =
  | { type: "snapshot"; snapshot: Snapshot }
  | { type: "listing"; servers: ServerSnapshot[] }
  | { type: "events"; events: JobEvent[] }
  | { type: "server_status"; status: ServerStatus }
  | { type: "job_pending"; serverId: string; jobId: number; pending: "refresh" | "run" }
  | { type: "job_detail"; serverId: string; detail: JobDetail; note: Note | null }
  | { type: "job_missing"; serverId: string; jobId: number; note: Note }
  | { type: "job_note"; serverId: string; jobId: number; note: Note | null; replaces?: number }
  | { type: "job_queued"; serverId: string; jobId: number; since: number; warning: string | null }
  | { type: "job_queue_late"; serverId: string; jobId: number; since: number };

/** How long a run asked for may wait for an agent before the page says it has not started, ms. */
export const QUEUE_PATIENCE = 30_000;

export const emptyState: TreeState = {
  loaded: false,
  epoch: null,
  seq: -1,
  at: null,
  servers: [],
};

/** Server states in which the service reads the server, so that its jobs are known. */
const WATCHED_STATES = new Set(["live", "polling", "catching_up"]);

/** Whether the service reads the server in this state: what it says of jobs and agents holds. */
export function isWatched(state: string): boolean {
  return WATCHED_STATES.has(state);
}

const TERMINAL_EVENTS: Record<string, string> = {
  job_succeeded: "succeeded",
  job_failed: "failed",
  job_aborted: "aborted",
};

const RUN_EVENTS = new Set(["job_started", "step_started", "step_finished", "job_progress"]);

export function reduce(state: TreeState, action: Action): TreeState {
  switch (action.type) {
    case "snapshot": {
      const { epoch, seq, servers } = action.snapshot;
      const at = later(state.at, snapshotTime(action.snapshot));
      return { loaded: true, epoch, seq, at, servers: mergeServers(state.servers, servers) };
    }
    case "listing":
      return { ...state, loaded: true, servers: mergeServers(state.servers, action.servers) };
    case "events":
      return action.events.reduce(applyEvent, state);
    case "server_status":
      return applyServerStatus(state, action.status);
    case "job_pending":
      return updateJob(state, action.serverId, action.jobId, (job) => ({
        ...job,
        pending: action.pending,
        note: null,
      }));
    case "job_detail":
      return applyDetail(state, action.serverId, action.detail, action.note);
    case "job_missing":
      return updateJob(state, action.serverId, action.jobId, (job) => ({
        ...job,
        pending: null,
        missing: true,
        note: action.note,
      }));
    case "job_queued":
      return updateJob(state, action.serverId, action.jobId, (job) => ({
        ...job,
        pending: null,
        queued: { since: action.since, warning: action.warning, late: false },
      }));
    case "job_queue_late":
      return updateJob(state, action.serverId, action.jobId, (job) =>
        job.queued?.since === action.since ? { ...job, queued: { ...job.queued, late: true } } : job,
      );
    case "job_note":
      return updateJob(state, action.serverId, action.jobId, (job) => {
        if (action.replaces !== undefined && job.note?.id !== action.replaces) return job;
        return { ...job, pending: null, note: action.note };
      });
  }
}

/** What a reconnecting socket sends as `resume`. */
export interface ResumePoint {
  epoch: string;
  seq: number;
  /** The database time of the last event applied; the service lists the runs ended since. */
  at?: string;
}

/** Where a reconnecting socket can resume from, once a snapshot has been seen. */
export function resumePoint(state: TreeState): ResumePoint | null {
  if (!state.epoch) return null;
  const point: ResumePoint = { epoch: state.epoch, seq: state.seq };
  if (state.at) point.at = state.at;
  return point;
}

/**
 * Whether a server's jobs must be read again after this `server_status`: it is watched now
 * and its jobs were not loaded (it was unreachable or connecting at the snapshot), or it has
 * just finished catching up.
 */
export function needsReload(server: ServerNode | undefined, status: ServerStatus): boolean {
  if (status.state !== "live" && status.state !== "polling") return false;
  if (!server) return true;
  return !server.jobsLoaded || server.state === "catching_up";
}

/**
 * Whether the page already knew that this run of the job had ended (or knew a later run): such
 * a run is not news when the service lists what finished while the page was away.
 */
export function knewFinished(
  state: TreeState,
  serverId: string,
  jobId: number,
  runId: number,
): boolean {
  const last = findJob(state, serverId, jobId)?.last_run;
  if (!last) return false;
  return last.id > runId || (last.id === runId && !OPEN_RUN_STATUSES.has(last.status));
}

const OPEN_RUN_STATUSES = new Set(["running", "stuck"]);

/**
 * A time no later than the snapshot: the latest start or end of a run it shows, a second
 * early, since the end is a start plus a rounded duration. Null when it shows no run.
 *
 * A known shortcoming: the snapshot carries no database time of its own, so a page that saw
 * no run and no event has no `at` to send, and a late resume then gets no summary of the
 * runs that ended meanwhile (their new states are in the snapshot all the same).
 */
function snapshotTime(snapshot: Snapshot): string | null {
  let latest = Number.NEGATIVE_INFINITY;
  for (const server of snapshot.servers) {
    for (const job of server.jobs) {
      const run = job.last_run;
      const start = run ? Date.parse(run.started_at) : NaN;
      if (Number.isNaN(start)) continue;
      latest = Math.max(latest, start + (run?.duration ?? 0) * 1000);
    }
  }
  return Number.isFinite(latest) ? new Date(latest - 1000).toISOString() : null;
}

/** The later of two times; a time that does not parse loses. */
function later(a: string | null, b: string | null): string | null {
  const ta = a ? Date.parse(a) : NaN;
  const tb = b ? Date.parse(b) : NaN;
  if (Number.isNaN(tb)) return Number.isNaN(ta) ? null : a;
  if (Number.isNaN(ta)) return b;
  return tb > ta ? b : a;
}

export function findJob(state: TreeState, serverId: string, jobId: number): JobNode | undefined {
  return state.servers.find((s) => s.id === serverId)?.jobs.find((j) => j.id === jobId);
}

/** The "k of n" of a running job, or null when it is not running. */
export function stepOf(job: JobNode): { k: number; n: number } | null {
  if (job.status !== "running") return null;
  const run = job.last_run;
  const step = job.step && run && job.step.runId === run.id ? job.step : null;
  const n = Math.max(step?.total ?? 0, run?.steps_total ?? 0);
  // The step after the last one done, unless a step event already told of a later one.
  const next = Math.min((run?.steps_done ?? 0) + 1, n);
  return { k: Math.max(step?.position ?? 0, next), n };
}

function newJob(job: JobState): JobNode {
  return {
    ...job,
    step: null,
    error: null,
    steps: null,
    schedules: null,
    pending: null,
    note: null,
    missing: false,
    queued: null,
    overdue: null,
    agentHost: null,
  };
}

/**
 * What the job's icon and badge show: the run status, or what the page knows beyond it
 * (a run asked for and not started, an overdue or disabled job).
 */
export function displayStatus(job: JobNode): string {
  if (job.status === "running" || job.status === "stuck") return job.status;
  if (job.queued) return "queued";
  if (job.overdue) return "overdue";
  if (!job.enabled) return "disabled";
  return job.status;
}

function byName(a: JobNode, b: JobNode): number {
  return a.name.localeCompare(b.name) || a.id - b.id;
}

/** Replaces the servers and jobs, keeping what only the page knows (steps, feedback). */
function mergeServers(previous: ServerNode[], servers: ServerSnapshot[]): ServerNode[] {
  return servers.map((server) => {
    const old = previous.find((s) => s.id === server.id);
    const jobs = server.jobs.map((job) => {
      const kept = old?.jobs.find((j) => j.id === job.id);
      const fresh = newJob(job);
      if (!kept) return fresh;
      const sameRun = kept.step && job.last_run && kept.step.runId === job.last_run.id;
      return {
        ...fresh,
        step: sameRun ? kept.step : null,
        error: job.status === "failed" || job.status === "internal_error" ? kept.error : null,
        steps: kept.steps,
        schedules: kept.schedules,
        pending: kept.pending,
        note: kept.note,
        // A snapshot that shows a newer run than the one asked for ends the wait.
        queued: job.status === "running" ? null : kept.queued,
        overdue: kept.overdue,
        agentHost: kept.agentHost,
      };
    });
    const { id, name, state, message } = server;
    const agents = server.agents ?? old?.agents ?? null;
    const jobsLoaded = WATCHED_STATES.has(state);
    return { id, name, state, message, agents, jobsLoaded, jobs: jobs.sort(byName) };
  });
}

function applyServerStatus(state: TreeState, status: ServerStatus): TreeState {
  const { server } = status;
  if (!state.servers.some((s) => s.id === server.id)) {
    const added = {
      ...server,
      state: status.state,
      message: status.message,
      jobs: [],
      agents: null,
      jobsLoaded: false,
    };
    return { ...state, servers: [...state.servers, added] };
  }
  return mapServer(state, server.id, (s) => ({
    ...s,
    name: server.name,
    state: status.state,
    message: status.message,
  }));
}

function applyDetail(
  state: TreeState,
  serverId: string,
  detail: JobDetail,
  note: Note | null,
): TreeState {
  const { steps, schedules, ...job } = detail;
  const withJob = ensureJob(state, serverId, serverId, job);
  return updateJob(withJob, serverId, job.id, (node) => {
    const sameRun = node.step && job.last_run && node.step.runId === job.last_run.id;
    return {
      ...node,
      ...job,
      step: sameRun ? node.step : null,
      steps,
      schedules,
      pending: null,
      note,
      missing: false,
    };
  });
}

/** Applies one event; an event already applied (same epoch, seq not newer) changes nothing. */
function applyEvent(state: TreeState, event: JobEvent): TreeState {
  if (event.seq >= 0 && state.epoch === event.epoch && event.seq <= state.seq) return state;

  // A publisher's progress is timed by the service's clock: only the database's times count.
  const at =
    event.occurred_at &&
    event.progress?.published_by === undefined &&
    !Number.isNaN(Date.parse(event.occurred_at));
  const stamped =
    event.seq >= 0 && event.epoch
      ? { ...state, epoch: event.epoch, seq: event.seq, at: at ? event.occurred_at : state.at }
      : state;
  const terminal = TERMINAL_EVENTS[event.type];
  const serverId = event.server.id;
  switch (event.type) {
    case "agent_online":
    case "agent_offline":
      return event.agent
        ? mapServer(stamped, serverId, (s) =>
            withAgent(s, { ...event.agent!, alive: event.type === "agent_online" }),
          )
        : stamped;
    case "job_removed":
      return mapServer(stamped, serverId, (s) => ({
        ...s,
        jobs: s.jobs.filter((j) => j.id !== event.job.id),
      }));
    case "job_changed": {
      if (!event.state) return stamped;
      const changed = event.state;
      const withJob = ensureJob(stamped, serverId, event.server.name, changed);
      return updateJob(withJob, serverId, changed.id, (job) => ({ ...job, ...changed }));
    }
    case "job_stuck":
      return updateJob(stamped, serverId, event.job.id, (job) => ({
        ...job,
        status: "stuck",
        note: event.message ? { id: 0, kind: "error", text: event.message } : job.note,
      }));
    case "job_overdue":
      return updateJob(stamped, serverId, event.job.id, (job) => ({
        ...job,
        overdue: event.message || "The job did not start when its schedule said.",
      }));
  }
  if (!terminal && !RUN_EVENTS.has(event.type)) return stamped;

  const placeholder: JobState = {
    id: event.job.id,
    name: event.job.name,
    description: "",
    enabled: event.job.enabled,
    host_agent: "",
    next_run: null,
    status: "idle",
    last_run: null,
  };
  const withJob = ensureJob(stamped, event.server.id, event.server.name, placeholder);
  return updateJob(withJob, event.server.id, event.job.id, (job) => {
    const { name, enabled } = event.job;
    const same = job.name === name && job.enabled === enabled && !job.missing;
    const next = applyRunEvent(
      same ? job : { ...job, name, enabled, missing: false },
      event,
      terminal,
    );
    // A run has begun: the one asked for, or another; either way nothing waits any more.
    const started = event.type === "job_started" || next.status === "running";
    return started && (next.queued || next.overdue)
      ? { ...next, queued: null, overdue: null }
      : next;
  });
}

function applyRunEvent(job: JobNode, event: JobEvent, terminal: string | undefined): JobNode {
  const { run } = event;
  const known = job.last_run;

  // An event of an older run than the one shown only renames; the newer run's state stands.
  if (known && run.id < known.id) return job;
  const sameRun = known !== null && known.id === run.id;
  // A late progress event of a run already finished must not make it look running again.
  if (!terminal && sameRun && known.status !== "running") return job;

  const base: LastRun = sameRun
    ? known
    : {
        id: run.id,
        status: "running",
        started_at: run.started_at,
        duration: null,
        steps_done: 0,
        steps_total: 0,
      };
  let lastRun: LastRun = { ...base, started_at: run.started_at || base.started_at };
  const agentHost = run.agent_host ?? (sameRun ? job.agentHost : null);
  job = { ...job, agentHost };
  let step = sameRun ? job.step : null;
  let error = sameRun ? job.error : null;

  if (event.step) {
    const s = event.step;
    const finished = event.type === "step_finished";
    // Steps run in order: an event of an earlier step than the one known is late.
    if (!step || s.position >= step.position) {
      step = { runId: run.id, position: s.position, total: s.total, name: s.name };
    }
    lastRun = {
      ...lastRun,
      steps_total: Math.max(lastRun.steps_total, s.total),
      steps_done: finished ? Math.max(lastRun.steps_done, s.position) : lastRun.steps_done,
    };
  }
  if (event.progress) {
    const p = event.progress;
    lastRun = {
      ...lastRun,
      steps_total: Math.max(lastRun.steps_total, p.total),
      steps_done: Math.max(lastRun.steps_done, p.done),
    };
  }

  if (terminal) {
    // pgAgent's internal failure (`i`) arrives as a `job_failed` whose run says so.
    const status =
      terminal === "failed" && run.status === "internal_error" ? "internal_error" : terminal;
    lastRun = { ...lastRun, status, duration: run.duration };
    if (event.error !== undefined) error = event.error;
    // The run's end moved the job's next run; the event says where to.
    const next_run = event.state ? event.state.next_run : job.next_run;
    return { ...job, status, last_run: lastRun, step, error, next_run };
  }
  return { ...job, status: "running", last_run: { ...lastRun, status: "running" }, step, error };
}

/** Adds the job (and its server) when the tree does not have it yet. */
function ensureJob(
  state: TreeState,
  serverId: string,
  serverName: string,
  job: JobState,
): TreeState {
  let servers = state.servers;
  if (!servers.some((s) => s.id === serverId)) {
    const added = {
      id: serverId,
      name: serverName,
      state: "live",
      message: "",
      jobs: [],
      agents: null,
      jobsLoaded: false,
    };
    servers = [...servers, added];
  }
  const server = servers.find((s) => s.id === serverId);
  if (server?.jobs.some((j) => j.id === job.id)) {
    return servers === state.servers ? state : { ...state, servers };
  }
  return {
    ...state,
    servers: servers.map((s) =>
      s.id === serverId ? { ...s, jobs: [...s.jobs, newJob(job)].sort(byName) } : s,
    ),
  };
}

function mapServer(
  state: TreeState,
  serverId: string,
  change: (s: ServerNode) => ServerNode,
): TreeState {
  let changed = false;
  const servers = state.servers.map((s) => {
    if (s.id !== serverId) return s;
    const next = change(s);
    changed = changed || next !== s;
    return next;
  });
  return changed ? { ...state, servers } : state;
}

/** Changes one job, keeping every other object as it was so that the view redraws only that job. */
function updateJob(
  state: TreeState,
  serverId: string,
  jobId: number,
  change: (job: JobNode) => JobNode,
): TreeState {
  return mapServer(state, serverId, (server) => {
    const index = server.jobs.findIndex((j) => j.id === jobId);
    if (index < 0) return server;
    const job = server.jobs[index]!;
    const next = change(job);
    if (next === job) return server;
    const jobs = [...server.jobs];
    jobs[index] = next;
    if (next.name !== job.name) jobs.sort(byName);
    return { ...server, jobs };
  });
}

/**
 * The server with one agent put in (by pid), and the doubts of its queued runs told again: an
 * agent that starts can take them, one that stops may leave them waiting.
 */
function withAgent(server: ServerNode, agent: Agent): ServerNode {
  const others = (server.agents ?? []).filter((a) => a.pid !== agent.pid);
  const next = { ...server, agents: [...others, agent] };
  const jobs = server.jobs.map((job) => {
    if (!job.queued) return job;
    const warning = queueWarning(next, job);
    return warning === job.queued.warning ? job : { ...job, queued: { ...job.queued, warning } };
  });
  return { ...next, jobs };
}

/** What the page says of a queued run: why no agent may take it, or that it waits too long. */
export function queueNote(job: JobNode): string | null {
  const queued = job.queued;
  if (!queued) return null;
  if (queued.warning) return queued.warning;
  if (!queued.late) return null;
  const seconds = Math.round(QUEUE_PATIENCE / 1000);
  return (
    `No agent has started the run asked for over ${seconds} s ago. It starts at the next poll ` +
    `of a pgAgent daemon that watches this database; check that one is running.`
  );
}

/** Holds the current state and tells its subscribers after each change. */
export class Store {
  private state: TreeState = emptyState;
  private readonly listeners = new Set<() => void>();

  get(): TreeState {
    return this.state;
  }

  dispatch(action: Action): void {
    const next = reduce(this.state, action);
    if (next === this.state) return;
    this.state = next;
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * Why a run asked for now may not start, from what the service tells of the server's agents;
 * null when an agent can take it or when the service does not tell.
 */
export function queueWarning(server: ServerNode | undefined, job: JobNode): string | null {
  const agents = server?.agents;
  if (!server || !agents) return null;
  const live = agents.filter((a) => a.alive);
  if (live.length === 0) {
    return `No pgAgent daemon is running for ${server.name}: the run waits until one starts.`;
  }
  if (job.host_agent && !live.some((a) => a.host === job.host_agent)) {
    const hosts = live.map((a) => a.host || "unknown").join(", ");
    return (
      `The job runs only on host \u201c${job.host_agent}\u201d, and no agent of that host ` +
      `is running (running: ${hosts}).`
    );
  }
  return null;
}
