/** The JSON the service sends (REST bodies and Socket.IO payloads), and decoders that check it. */

/** A job's status: `running` while a run is open, else its last run's status, else `idle`. */
export const JOB_STATUSES = [
  "idle",
  "queued",
  "running",
  "succeeded",
  "succeeded_with_warnings",
  "failed",
  "internal_error",
  "aborted",
  "stuck",
  "overdue",
  "disabled",
] as const;

export type JobStatus = (typeof JOB_STATUSES)[number];

export const EVENT_TYPES = [
  "job_started",
  "step_started",
  "step_finished",
  "job_progress",
  "job_succeeded",
  "job_failed",
  "job_aborted",
  "job_stuck",
  "job_overdue",
  "job_changed",
  "job_removed",
  "agent_online",
  "agent_offline",
] as const;

/** Events about a job that are not about one of its runs: their `run.id` is 0. */
const RUNLESS_TYPES = new Set(["job_overdue", "job_changed", "job_removed"]);

/** Events about a server's agents, not about a job: their `job.id` and `run.id` are 0. */
const AGENT_TYPES = new Set(["agent_online", "agent_offline"]);

export type EventType = (typeof EVENT_TYPES)[number];

export interface LastRun {
  id: number;
  status: string;
  started_at: string;
  /** Seconds; null while running or when unknown. */
  duration: number | null;
  steps_done: number;
  steps_total: number;
}

export interface JobState {
  id: number;
  name: string;
  description: string;
  enabled: boolean;
  host_agent: string;
  /** ISO 8601; null when no run is scheduled. */
  next_run: string | null;
  status: string;
  last_run: LastRun | null;
  /** Facts of the job's definition, when the service sends them. */
  job_class?: string;
  created?: string;
  changed?: string;
}

export interface JobStep {
  id: number;
  name: string;
  kind: string;
  enabled: boolean;
  on_error: string;
}

export interface JobSchedule {
  id: number;
  name: string;
  enabled: boolean;
}

export interface JobDetail extends JobState {
  steps: JobStep[];
  schedules: JobSchedule[];
}

export interface ServerSummary {
  id: string;
  name: string;
  /** `connecting`, `live`, `unreachable` or `not_installed`. */
  state: string;
  message: string;
}

/** A pgAgent daemon connected to a server, as the service sees it. */
export interface Agent {
  pid: number;
  host: string;
  alive: boolean;
}

export interface ServerSnapshot extends ServerSummary {
  jobs: JobState[];
  /** The agents, when the service tells them; null when it does not. */
  agents: Agent[] | null;
}

export interface Snapshot {
  epoch: string;
  seq: number;
  servers: ServerSnapshot[];
}

export interface ServerRef {
  id: string;
  name: string;
}

export interface JobRef {
  id: number;
  name: string;
  enabled: boolean;
}

export interface RunRef {
  id: number;
  status: string;
  started_at: string;
  duration: number | null;
  agent_host: string | null;
}

export interface StepRef {
  id: number;
  run_id: number;
  name: string;
  kind: string;
  status: string;
  result: number | null;
  position: number;
  total: number;
  started_at: string;
  duration: number | null;
  output: string;
  output_size: number;
}

export interface Progress {
  done: number;
  total: number;
  elapsed: number;
  /** Set when a publisher sent it: its `occurred_at` is the service's clock, not the database's. */
  published_by?: string;
}

/** One `job_status_update` event. Unknown types are ignored, so `type` stays a string. */
export interface JobEvent {
  seq: number;
  epoch: string;
  type: string;
  occurred_at: string;
  server: ServerRef;
  job: JobRef;
  run: RunRef;
  step?: StepRef;
  progress?: Progress;
  /** For `job_failed`: the failing step's output, bounded by the service. */
  error?: string;
  /** Why, for `job_stuck` and `job_overdue`: a code and words. */
  reason?: string;
  message?: string;
  /** For `job_changed`: the job as it now is. */
  state?: JobState;
  /** For `agent_online` and `agent_offline`: the agent. */
  agent?: Agent;
}

export interface ServerStatus {
  server: ServerRef;
  state: string;
  message: string;
}

/** A run that ended while the page was away, as `finished_since` lists it. */
export interface FinishedRun {
  job: { id: number; name: string };
  run: { id: number; status: string; started_at: string; duration: number | null };
}

/**
 * `finished_since`: sent after the snapshot of a client that resumed too late for the replay
 * window, with the runs of each server that ended after `since` (`error` when one could not
 * be read).
 */
export interface FinishedSince {
  since: string;
  reason: string;
  servers: { id: string; runs: FinishedRun[]; error: string | null }[];
}

export type NotificationPosition = "top-right" | "top-left" | "bottom-right" | "bottom-left";

export interface ClientConfig {
  websocket_enabled: boolean;
  namespace: string;
  socket: {
    path: string;
    reconnection: boolean;
    reconnectionAttempts: number;
    reconnectionDelay: number;
    timeout: number;
  };
  notification: {
    duration: number;
    position: NotificationPosition;
  };
  debug: boolean;
}

export const DEFAULT_CONFIG: ClientConfig = {
  websocket_enabled: true,
  namespace: "/pgagent",
  socket: {
    path: "/socket.io",
    reconnection: true,
    reconnectionAttempts: 10,
    reconnectionDelay: 1000,
    timeout: 20000,
  },
  notification: { duration: 5000, position: "top-right" },
  debug: false,
};

const POSITIONS: readonly string[] = ["top-right", "top-left", "bottom-right", "bottom-left"];

// The decoders below take what arrived over the wire as unknown. They return null for a value
// that lacks what identifies it (an id), and fill harmless defaults for anything else, so that
// one odd field never takes the page down.

type Fields = Record<string, unknown>;

function fields(value: unknown): Fields | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Fields)
    : null;
}

function text(value: unknown, fallback = ""): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fallback;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function int(value: unknown): number | null {
  const n = num(value);
  return n !== null && Number.isInteger(n) ? n : null;
}

function list<T>(value: unknown, decode: (item: unknown) => T | null): T[] {
  if (!Array.isArray(value)) return [];
  const out: T[] = [];
  for (const item of value) {
    const decoded = decode(item);
    if (decoded !== null) out.push(decoded);
  }
  return out;
}

export function decodeLastRun(value: unknown): LastRun | null {
  const f = fields(value);
  const id = f && int(f.id);
  if (!f || id === null) return null;
  return {
    id,
    status: text(f.status, "idle"),
    started_at: text(f.started_at),
    duration: num(f.duration),
    steps_done: int(f.steps_done) ?? 0,
    steps_total: int(f.steps_total) ?? 0,
  };
}

export function decodeJobState(value: unknown): JobState | null {
  const f = fields(value);
  const id = f && int(f.id);
  if (!f || id === null) return null;
  return {
    id,
    name: text(f.name, `job ${id}`),
    description: text(f.description),
    enabled: f.enabled !== false,
    host_agent: text(f.host_agent),
    next_run: typeof f.next_run === "string" ? f.next_run : null,
    status: text(f.status, "idle"),
    last_run: decodeLastRun(f.last_run),
    ...optionalText(f, "job_class", "class"),
    ...optionalText(f, "created", "created"),
    ...optionalText(f, "changed", "changed"),
  };
}

function optionalText<K extends string>(f: Fields, key: K, from: string): Partial<Record<K, string>> {
  const value = f[key] ?? f[from];
  return typeof value === "string" ? ({ [key]: value } as Partial<Record<K, string>>) : {};
}

export function decodeJobDetail(value: unknown): JobDetail | null {
  const job = decodeJobState(value);
  const f = fields(value);
  if (!job || !f) return null;
  const steps = list(f.steps, (item): JobStep | null => {
    const s = fields(item);
    const id = s && int(s.id);
    if (!s || id === null) return null;
    return {
      id,
      name: text(s.name),
      kind: text(s.kind),
      enabled: s.enabled !== false,
      on_error: text(s.on_error),
    };
  });
  const schedules = list(f.schedules, (item): JobSchedule | null => {
    const s = fields(item);
    const id = s && int(s.id);
    if (!s || id === null) return null;
    return { id, name: text(s.name), enabled: s.enabled !== false };
  });
  return { ...job, steps, schedules };
}

export function decodeServerSummary(value: unknown): ServerSummary | null {
  const f = fields(value);
  if (!f || typeof f.id !== "string") return null;
  return {
    id: f.id,
    name: text(f.name, f.id),
    state: text(f.state, "connecting"),
    message: text(f.message),
  };
}

function decodeAgent(value: unknown): Agent | null {
  const a = fields(value);
  const pid = a && int(a.pid);
  if (!a || pid === null) return null;
  return { pid, host: text(a.host), alive: a.alive !== false };
}

function decodeServerSnapshot(value: unknown): ServerSnapshot | null {
  const server = decodeServerSummary(value);
  const f = fields(value);
  if (!server || !f) return null;
  const agents = Array.isArray(f.agents) ? list(f.agents, decodeAgent) : null;
  return { ...server, jobs: list(f.jobs, decodeJobState), agents };
}

export function decodeSnapshot(value: unknown): Snapshot | null {
  const f = fields(value);
  if (!f || !Array.isArray(f.servers)) return null;
  return {
    epoch: text(f.epoch),
    seq: int(f.seq) ?? 0,
    servers: list(f.servers, decodeServerSnapshot),
  };
}

function decodeServerRef(value: unknown): ServerRef | null {
  const f = fields(value);
  if (!f || typeof f.id !== "string") return null;
  return { id: f.id, name: text(f.name, f.id) };
}

function decodeStep(value: unknown): StepRef | undefined {
  const f = fields(value);
  const id = f && int(f.id);
  const position = f && int(f.position);
  if (!f || id === null || position === null) return undefined;
  return {
    id,
    run_id: int(f.run_id) ?? 0,
    name: text(f.name),
    kind: text(f.kind),
    status: text(f.status),
    result: int(f.result),
    position,
    total: int(f.total) ?? position,
    started_at: text(f.started_at),
    duration: num(f.duration),
    output: text(f.output),
    output_size: int(f.output_size) ?? 0,
  };
}

function decodeProgress(value: unknown): Progress | undefined {
  const f = fields(value);
  const done = f && int(f.done);
  const total = f && int(f.total);
  if (!f || done === null || total === null) return undefined;
  const progress: Progress = { done, total, elapsed: num(f.elapsed) ?? 0 };
  if (typeof f.published_by === "string") progress.published_by = f.published_by;
  return progress;
}

/** Decodes one event; null when it lacks its type, server, job or run. */
export function decodeEvent(value: unknown): JobEvent | null {
  const f = fields(value);
  if (!f || typeof f.type !== "string") return null;
  const server = decodeServerRef(f.server);
  const about = AGENT_TYPES.has(f.type);
  const job = fields(f.job) ?? (about ? { id: 0, name: "" } : null);
  const jobId = job && int(job.id);
  const runless = about || RUNLESS_TYPES.has(f.type);
  const run = fields(f.run) ?? (runless ? {} : null);
  const runId = run && (int(run.id) ?? (runless ? 0 : null));
  if (!server || !job || jobId === null || !run || runId === null) return null;

  const event: JobEvent = {
    seq: int(f.seq) ?? -1,
    epoch: text(f.epoch),
    type: f.type,
    occurred_at: text(f.occurred_at),
    server,
    job: { id: jobId, name: text(job.name, `job ${jobId}`), enabled: job.enabled !== false },
    run: {
      id: runId,
      status: text(run.status),
      started_at: text(run.started_at),
      duration: num(run.duration),
      agent_host: typeof run.agent_host === "string" ? run.agent_host : null,
    },
  };
  const step = decodeStep(f.step);
  if (step) event.step = step;
  const progress = decodeProgress(f.progress);
  if (progress) event.progress = progress;
  if (typeof f.error === "string") event.error = f.error;
  if (typeof f.reason === "string") event.reason = f.reason;
  if (typeof f.message === "string") event.message = f.message;
  const state = decodeJobState(f.state);
  if (state) event.state = state;
  const agent = decodeAgent(f.agent);
  if (agent) event.agent = agent;
  if (about && !agent) return null;
  return event;
}

/** A `job_status_update` payload is one event or a list of them. */
export function decodeEvents(value: unknown): JobEvent[] {
  return list(Array.isArray(value) ? value : [value], decodeEvent);
}

export function decodeServerStatus(value: unknown): ServerStatus | null {
  const f = fields(value);
  const server = f && decodeServerRef(f.server);
  if (!f || !server) return null;
  return { server, state: text(f.state, "connecting"), message: text(f.message) };
}

/** The service's settings for this page, with the defaults for anything missing or malformed. */
export function decodeConfig(value: unknown): ClientConfig {
  const f = fields(value) ?? {};
  const socket = fields(f.socket) ?? {};
  const notification = fields(f.notification) ?? {};
  const defaults = DEFAULT_CONFIG;
  const position = text(notification.position);
  return {
    websocket_enabled:
      typeof f.websocket_enabled === "boolean" ? f.websocket_enabled : defaults.websocket_enabled,
    namespace: text(f.namespace, defaults.namespace) || defaults.namespace,
    socket: {
      path: text(socket.path, defaults.socket.path) || defaults.socket.path,
      reconnection:
        typeof socket.reconnection === "boolean"
          ? socket.reconnection
          : defaults.socket.reconnection,
      reconnectionAttempts:
        num(socket.reconnectionAttempts) ?? defaults.socket.reconnectionAttempts,
      reconnectionDelay: num(socket.reconnectionDelay) ?? defaults.socket.reconnectionDelay,
      timeout: num(socket.timeout) ?? defaults.socket.timeout,
    },
    notification: {
      duration: num(notification.duration) ?? defaults.notification.duration,
      position: POSITIONS.includes(position)
        ? (position as NotificationPosition)
        : defaults.notification.position,
    },
    debug: f.debug === true,
  };
}

/** One step of a run in the history. */
export interface StepRun {
  id: number;
  step_id: number;
  name: string;
  kind: string;
  status: string;
  result: number | null;
  started_at: string;
  duration: number | null;
  output: string;
  output_size: number;
}

/** One run in the history, with its steps. */
export interface RunRecord {
  id: number;
  status: string;
  started_at: string;
  duration: number | null;
  steps: StepRun[];
}

/** A page of the history, newest first; `next_before` asks for the next one. */
export interface RunPage {
  runs: RunRecord[];
  next_before: number | null;
}

function decodeStepRun(value: unknown): StepRun | null {
  const f = fields(value);
  const id = f && int(f.id);
  if (!f || id === null) return null;
  return {
    id,
    step_id: int(f.step_id) ?? 0,
    name: text(f.name),
    kind: text(f.kind),
    status: text(f.status, "unknown"),
    result: int(f.result),
    started_at: text(f.started_at),
    duration: num(f.duration),
    output: text(f.output),
    output_size: int(f.output_size) ?? 0,
  };
}

export function decodeRunPage(value: unknown): RunPage {
  const f = fields(value) ?? {};
  const runs = list(f.runs, (item): RunRecord | null => {
    const r = fields(item);
    const id = r && int(r.id);
    if (!r || id === null) return null;
    return {
      id,
      status: text(r.status, "unknown"),
      started_at: text(r.started_at),
      duration: num(r.duration),
      steps: list(r.steps, decodeStepRun),
    };
  });
  return { runs, next_before: int(f.next_before) };
}

function decodeFinishedRun(value: unknown): FinishedRun | null {
  const f = fields(value);
  const job = f && fields(f.job);
  const run = f && fields(f.run);
  const jobId = job && int(job.id);
  const runId = run && int(run.id);
  if (!job || !run || jobId === null || runId === null) return null;
  return {
    job: { id: jobId, name: text(job.name, `job ${jobId}`) },
    run: {
      id: runId,
      status: text(run.status, "unknown"),
      started_at: text(run.started_at),
      duration: num(run.duration),
    },
  };
}

export function decodeFinishedSince(value: unknown): FinishedSince | null {
  const f = fields(value);
  if (!f || !Array.isArray(f.servers)) return null;
  const servers = list(f.servers, (item) => {
    const s = fields(item);
    if (!s || typeof s.id !== "string") return null;
    const error = typeof s.error === "string" && s.error ? s.error : null;
    return { id: s.id, runs: list(s.runs, decodeFinishedRun), error };
  });
  return { since: text(f.since), reason: text(f.reason), servers };
}
