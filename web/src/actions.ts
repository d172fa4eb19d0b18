/** What a person can do to a job node: reload it (`refreshJobNode`) and ask for a run now. */

import { ApiError, type ApiClient } from "./api";
import { findJob, QUEUE_PATIENCE, queueWarning, type Note, type Store } from "./model";
import type { Message } from "./notifications";

export interface JobActions {
  refreshJobNode(serverId: string, jobId: number): Promise<void>;
  /** Loads a job's details without feedback, for a job just selected; failures are told. */
  loadJobNode(serverId: string, jobId: number): Promise<void>;
  runJobNow(serverId: string, jobId: number): Promise<void>;
}

/** How long a "done" note stays under a job node, in ms. Errors stay until the next action. */
export const NOTE_DURATION = 4000;

export interface ActionDeps {
  api: Pick<ApiClient, "job" | "runJob">;
  store: Store;
  notify(message: Message): void;
}

export function createJobActions({ api, store, notify }: ActionDeps): JobActions {
  let lastNoteId = 0;
  const note = (kind: Note["kind"], text: string): Note => ({ id: ++lastNoteId, kind, text });

  // A passing note clears itself, unless something newer has replaced it meanwhile.
  const fade = (serverId: string, jobId: number, shown: Note): void => {
    setTimeout(() => {
      store.dispatch({ type: "job_note", serverId, jobId, note: null, replaces: shown.id });
    }, NOTE_DURATION);
  };

  const serverName = (serverId: string): string =>
    store.get().servers.find((s) => s.id === serverId)?.name ?? serverId;

  const jobName = (serverId: string, jobId: number): string =>
    findJob(store.get(), serverId, jobId)?.name ?? `job ${jobId}`;

  const fail = (serverId: string, jobId: number, title: string, error: unknown): void => {
    const text = explain(error, jobName(serverId, jobId), serverName(serverId));
    const shown = note("error", text);
    if (error instanceof ApiError && error.code === "not_found") {
      store.dispatch({ type: "job_missing", serverId, jobId, note: shown });
    } else {
      store.dispatch({ type: "job_note", serverId, jobId, note: shown });
    }
    notify({ type: "action_failed", serverId, jobId, title, text, kind: "error" });
  };

  return {
    /** Reloads one job from the service and redraws its node, new name included. */
    async refreshJobNode(serverId, jobId) {
      store.dispatch({ type: "job_pending", serverId, jobId, pending: "refresh" });
      try {
        const detail = await api.job(serverId, jobId);
        const done = note("info", "Refreshed.");
        store.dispatch({ type: "job_detail", serverId, detail, note: done });
        fade(serverId, jobId, done);
      } catch (error) {
        fail(serverId, jobId, "Refresh failed", error);
      }
    },

    async loadJobNode(serverId, jobId) {
      try {
        const detail = await api.job(serverId, jobId);
        const kept = findJob(store.get(), serverId, jobId)?.note ?? null;
        store.dispatch({ type: "job_detail", serverId, detail, note: kept });
      } catch (error) {
        fail(serverId, jobId, "Loading the job failed", error);
      }
    },

    async runJobNow(serverId, jobId) {
      store.dispatch({ type: "job_pending", serverId, jobId, pending: "run" });
      try {
        await api.runJob(serverId, jobId);
        const state = store.get();
        const job = findJob(state, serverId, jobId);
        const server = state.servers.find((s) => s.id === serverId);
        const warning = job ? queueWarning(server, job) : null;
        const since = Date.now();
        store.dispatch({ type: "job_queued", serverId, jobId, since, warning });
        // A run that never starts must not look queued for ever: after a while, say so.
        setTimeout(() => {
          store.dispatch({ type: "job_queue_late", serverId, jobId, since });
        }, QUEUE_PATIENCE);
        if (warning) {
          notify({ type: "run_waiting", serverId, jobId, title: "Run cannot start", text: warning, kind: "error" });
        }
      } catch (error) {
        fail(serverId, jobId, "Run now failed", error);
      }
    },
  };
}

function explain(error: unknown, job: string, server: string): string {
  if (!(error instanceof ApiError)) {
    return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (error.code === "not_found") {
    return `\u201c${job}\u201d no longer exists on ${server}.`;
  }
  if (error.code === "forbidden") {
    return `Your access token may only watch jobs, not act on them: ${error.message}`;
  }
  if (error.isAuth) {
    return `The service refused the access token (${error.code}): ${error.message}`;
  }
  return error.message;
}
