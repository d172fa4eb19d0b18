/** Words and numbers as the page shows them: status labels, local times, durations. */

import { JOB_STATUSES } from "./wire";

const STATUS_LABELS: Record<string, string> = {
  idle: "Idle",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  internal_error: "Internal error",
  aborted: "Aborted",
};

const SERVER_STATE_LABELS: Record<string, string> = {
  connecting: "Connecting",
  live: "Live",
  catching_up: "Catching up",
  polling: "Polling",
  unreachable: "Unreachable",
  not_installed: "pgAgent not installed",
  permission_denied: "Permission denied",
  unsupported_version: "Unsupported pgAgent version",
  error: "Error",
};

/** What each server state means: the badge's tooltip, and the words of a quiet state. */
const SERVER_STATE_MEANINGS: Record<string, string> = {
  connecting: "The service has not reached this server yet.",
  live: "Watched: changes show as they happen.",
  catching_up: "Reconnected; reading what changed while the server was out of reach.",
  polling: "The listener is down: the service polls the server meanwhile.",
  unreachable: "The service cannot reach this server; it keeps retrying.",
  not_installed: "This database has no pgagent schema.",
  permission_denied: "The service's role may not read pgAgent's tables.",
  unsupported_version: "This pgAgent schema version is not supported.",
  error: "Watching this server failed; the service retries.",
};

export function serverStateMeaning(state: string): string {
  return SERVER_STATE_MEANINGS[state] ?? "";
}

function humanize(word: string): string {
  const spaced = word.replace(/_/g, " ").trim();
  return spaced ? spaced[0]!.toUpperCase() + spaced.slice(1) : "Unknown";
}

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? humanize(status);
}

/** The badge's class; a status this page does not know gets a neutral one. */
export function statusClass(status: string): string {
  return (JOB_STATUSES as readonly string[]).includes(status)
    ? `status-${status}`
    : "status-unknown";
}

export function serverStateLabel(state: string): string {
  return SERVER_STATE_LABELS[state] ?? humanize(state);
}

/** A date and time in the browser's time zone; the text itself when it is not a valid time. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return iso;
  return timeFormat().format(date);
}

// One formatter for the page: making one per call (as toLocaleString does) costs more than
// the rest of drawing a job, which shows in a tree of thousands.
let formatter: Intl.DateTimeFormat | null = null;

function timeFormat(): Intl.DateTimeFormat {
  formatter ??= new Intl.DateTimeFormat(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  return formatter;
}

/** Seconds as "0.4 s", "12 s", "3 min 5 s" or "2 h 7 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return whole % 60 ? `${minutes} min ${whole % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
