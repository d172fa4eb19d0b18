/** The tree without Socket.IO: when the service has WebSocket off, the page polls the REST API. */

import { ApiError, type ApiClient } from "./api";
import type { Store } from "./model";
import type { ServerSnapshot, ServerSummary } from "./wire";

/** How often to reload every server's jobs, in ms. */
export const POLL_INTERVAL = 10_000;

export interface Poller {
  stop(): void;
}

/**
 * Loads every server's jobs now and then every `interval` ms. A server whose jobs cannot be
 * read keeps its place in the tree, marked unreachable with the reason. `onError` hears of a
 * failure to list the servers at all; polling stops for good on a refused token.
 */
export function startPolling(
  api: Pick<ApiClient, "servers" | "jobs">,
  store: Store,
  onError: (error: ApiError) => void,
  interval = POLL_INTERVAL,
): Poller {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const load = async (): Promise<void> => {
    try {
      const servers = await api.servers();
      const listed = await Promise.all(servers.map((server) => loadServer(api, server)));
      if (!stopped) store.dispatch({ type: "listing", servers: listed });
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(0, "error", String(error));
      onError(failure);
      if (failure.isAuth) stopped = true;
    }
    if (!stopped) timer = setTimeout(() => void load(), interval);
  };
  void load();

  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

async function loadServer(
  api: Pick<ApiClient, "jobs">,
  summary: ServerSummary,
): Promise<ServerSnapshot> {
  const server = { ...summary, agents: null };
  try {
    return { ...server, jobs: await api.jobs(server.id) };
  } catch (error) {
    // A server that is not live already says why; a live one that fails now is unreachable.
    if (server.state !== "live") return { ...server, jobs: [] };
    const message = error instanceof Error ? error.message : String(error);
    return { ...server, state: "unreachable", message, jobs: [] };
  }
}
