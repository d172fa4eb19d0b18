/** The page's start: token, settings, then the live tree over Socket.IO (or REST polling). */

import { createJobActions } from "./actions";
import { ServerClock, timeZoneName } from "./clock";
import { DetailsPanel } from "./details";
import { NotificationHistory } from "./history";
import { ContextMenu } from "./menu";
import { ApiClient, ApiError } from "./api";
import { knewFinished, needsReload, resumePoint, Store, type TreeState } from "./model";
import { Notifier } from "./notifications";
import { Banner, ConnectionIndicator, keepBelow, shownState, type ConnectionState } from "./page";
import { startPolling } from "./poll";
import { connectJobStatusSocket } from "./socket";
import { forgetToken, takeToken } from "./token";
import { setupJobStatusListener } from "./tree";
import { loadViewState, parseJobKey, saveViewState } from "./viewstate";
import type { ClientConfig } from "./wire";

const REOPEN =
  "Open the address that pgagent-live printed when it started (it ends in #token=\u2026).";

function required<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id} element`);
  return element as T;
}

/** The banner's title for a refused token, by the service's code. */
function refusalTitle(code: string): string {
  switch (code) {
    case "auth_required":
      return "This page needs its access token";
    case "auth_invalid":
      return "The access token is not valid";
    case "auth_expired":
      return "The access token has expired";
    default:
      return "The service refused the access token";
  }
}

async function start(): Promise<void> {
  const indicator = new ConnectionIndicator(
    required("connection-state"),
    required<HTMLButtonElement>("reconnect"),
  );
  const banner = new Banner(required("message"));

  // Only a new token helps after a refusal; keeping the old one would fail again on reload.
  const refused = (code: string, message: string, ended = false): void => {
    forgetToken(window);
    indicator.set("failed", message);
    const title = ended ? "The session has ended" : refusalTitle(code);
    banner.show(title, `The service says: ${message} (${code}). ${REOPEN}`);
  };

  const token = takeToken(window);
  if (!token) {
    indicator.set("failed", "No access token");
    banner.show(refusalTitle("auth_required"), `${REOPEN} Or ask whoever runs the service.`);
    return;
  }

  const api = new ApiClient(token, document.baseURI);
  let config: ClientConfig;
  try {
    config = await api.config();
  } catch (error) {
    if (error instanceof ApiError && error.isAuth) return refused(error.code, error.message);
    const why = error instanceof Error ? error.message : String(error);
    indicator.set("failed", why, false);
    banner.show("The page could not load its settings", why);
    return;
  }

  const store = new Store();
  const clock = new ServerClock();
  required("timezone").textContent = `Times in ${timeZoneName()}`;
  const history = new NotificationHistory(required("history"), required("history-count"));
  const historyToggle = required("history-toggle");
  historyToggle.addEventListener("click", () => {
    const panel = required("history");
    panel.hidden = !panel.hidden;
    historyToggle.setAttribute("aria-expanded", String(!panel.hidden));
  });
  const notifier = new Notifier(required("notifications"), {
    duration: config.notification.duration,
    position: config.notification.position,
    onRefresh: (serverId, jobId) => void actions.refreshJobNode(serverId, jobId),
    // The notifications' container is a live region: screen readers hear each one there.
    onShown: (entry) => history.add(entry),
  });
  const actions = createJobActions({
    api,
    store,
    notify: (message) => notifier.notifyMessage(message),
  });
  const storage = sessionStorageOrNull();
  const view = loadViewState(storage);
  const details = new DetailsPanel(required("details"), {
    api,
    store,
    tab: view.tab,
    onTabChange: (tab) => {
      view.tab = tab;
      saveViewState(storage, view);
    },
  });
  details.show(parseJobKey(view.selected));
  // The selected job's own load (class, creation, change), once it is in the tree: at once
  // when picked, after the first snapshot when the selection came back with F5.
  let loadedFor = "";
  const loadSelected = (): void => {
    const selected = parseJobKey(view.selected);
    const node = selected && findJobNode(store, selected.serverId, selected.jobId);
    if (!selected || !node || view.selected === loadedFor) return;
    loadedFor = view.selected ?? "";
    if (node.steps === null) void actions.loadJobNode(selected.serverId, selected.jobId);
  };
  store.subscribe(loadSelected);
  const placeNotifications = keepBelow(required("notifications"), () =>
    Array.from(document.querySelectorAll<HTMLElement>("#details .details-title, #details .tabs")),
  );
  // The details' head grows with a long name: place the notifications again after a change.
  let placing = false;
  store.subscribe(() => {
    if (placing) return;
    placing = true;
    requestAnimationFrame(() => {
      placing = false;
      placeNotifications();
    });
  });
  const menu = new ContextMenu(required("menu"));
  setupJobStatusListener(required("tree"), store, actions, undefined, {
    view,
    clock,
    onViewChange: (changed) => saveViewState(storage, changed),
    onSelect: (job) => {
      details.show(job);
      placeNotifications();
      loadSelected();
    },
    onContextMenu: (job, x, y, from) => {
      const node = findJobNode(store, job.serverId, job.jobId);
      menu.open(
        x,
        y,
        [
          {
            label: "Refresh",
            action: "refresh",
            run: () => void actions.refreshJobNode(job.serverId, job.jobId),
          },
          {
            label: "Run now",
            action: "run",
            disabled: !node || !node.enabled || node.pending !== null,
            run: () => void actions.runJobNow(job.serverId, job.jobId),
          },
          {
            label: "Properties",
            action: "properties",
            run: () => {
              details.show(job);
              required("details").focus();
            },
          },
        ],
        from,
      );
    },
  });

  if (!config.websocket_enabled) {
    indicator.set("polling", "Live updates are off on this service; the page reloads the jobs.");
    startPolling(api, store, (error) => {
      if (error.isAuth) refused(error.code, error.message);
      else banner.show("The jobs could not be loaded", error.message);
    });
    return;
  }

  // The connection as the socket last told it; the indicator adds the servers' catching up.
  let connection: { state: ConnectionState; text: string; canRetry: boolean; via?: string } = {
    state: "connecting",
    text: "",
    canRetry: false,
  };
  let shown = "";
  const showConnection = (): void => {
    const { state, detail } = shownState(connection.state, connection.text, store.get().servers);
    const key = `${state}|${detail}|${connection.canRetry}|${connection.via ?? ""}`;
    if (key === shown) return;
    shown = key;
    indicator.set(state, detail, connection.canRetry, connection.via);
  };
  store.subscribe(showConnection);

  // The state before the latest snapshot: what the page knew when the runs ended while it was
  // away are listed (`finished_since`), so that none it already told is told again.
  let beforeSnapshot: TreeState = store.get();

  // One `resync` at a time; statuses that ask for one meanwhile get one more after it.
  // A known shortcoming: `resync` answers with the snapshot of every server followed, not of
  // the one that came up, which costs more on a large tree; it happens only when a server
  // is read again after a gap.
  let resyncing = false;
  let resyncAgain = false;
  const resync = async (): Promise<void> => {
    if (resyncing) {
      resyncAgain = true;
      return;
    }
    resyncing = true;
    try {
      do {
        resyncAgain = false;
        await socket.resync();
      } while (resyncAgain);
    } finally {
      resyncing = false;
    }
  };

  const socket = connectJobStatusSocket(null, {
    base: document.baseURI,
    token,
    config,
    resume: () => resumePoint(store.get()),
    log: config.debug
      ? (message, ...values) => console.debug(`pgagent-live ${message}`, ...values)
      : undefined,
    handlers: {
      onSnapshot: (snapshot) => {
        beforeSnapshot = store.get();
        store.dispatch({ type: "snapshot", snapshot });
      },
      onFinishedSince: (summary) => {
        const servers = store.get().servers;
        const name = (id: string): string => servers.find((s) => s.id === id)?.name ?? id;
        const known = beforeSnapshot;
        notifier.notifySummary(summary, name, (serverId, jobId, runId) =>
          knewFinished(known, serverId, jobId, runId),
        );
      },
      onEvents: (events) => {
        for (const event of events) clock.observe(event.occurred_at);
        store.dispatch({ type: "events", events });
        for (const event of events) notifier.notifyEvent(event);
      },
      onServerStatus: (status) => {
        const before = store.get().servers.find((s) => s.id === status.server.id);
        store.dispatch({ type: "server_status", status });
        // A server read for the first time since the snapshot (it was unreachable, say), or
        // one that has caught up: its jobs are what the snapshot could not hold.
        if (needsReload(before, status)) void resync();
      },
      onConnectionState: (state, detail, canRetry) => {
        if (state === "failed" && detail.refusal && !canRetry) {
          connection = { state, text: detail.text, canRetry };
          shown = "";
          return refused(detail.refusal.code, detail.refusal.message, detail.ended === true);
        }
        connection = { state, text: detail.text, canRetry, via: detail.transport };
        showConnection();
        if (state === "live") banner.hide();
        else if (state === "failed") banner.show("Live updates stopped", detail.text);
      },
    },
  });
  required("reconnect").addEventListener("click", () => socket.reconnect());
}

function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

function findJobNode(store: Store, serverId: string, jobId: number) {
  return store.get().servers.find((s) => s.id === serverId)?.jobs.find((j) => j.id === jobId);
}

void start().catch((error: unknown) => {
  console.error("pgagent-live: the page failed to start", error);
});
