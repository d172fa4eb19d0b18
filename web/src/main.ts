/** The page's start: token, settings, then the live tree over Socket.IO (or REST polling). */

import { createJobActions } from "./actions";
import { ServerClock, timeZoneName } from "./clock";
import { DetailsPanel } from "./details";
import { NotificationHistory } from "./history";
import { ContextMenu } from "./menu";
import { ApiClient, ApiError } from "./api";
import { resumePoint, Store } from "./model";
import { Notifier } from "./notifications";
import { Banner, ConnectionIndicator, keepBelow } from "./page";
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
  const refused = (code: string, message: string): void => {
    forgetToken(window);
    indicator.set("failed", message);
    banner.show(refusalTitle(code), `The service says: ${message} (${code}). ${REOPEN}`);
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

  const socket = connectJobStatusSocket(null, {
    base: document.baseURI,
    token,
    config,
    resume: () => resumePoint(store.get()),
    log: config.debug
      ? (message, ...values) => console.debug(`pgagent-live ${message}`, ...values)
      : undefined,
    handlers: {
      onSnapshot: (snapshot) => store.dispatch({ type: "snapshot", snapshot }),
      onEvents: (events) => {
        for (const event of events) clock.observe(event.occurred_at);
        store.dispatch({ type: "events", events });
        for (const event of events) notifier.notifyEvent(event);
      },
      onServerStatus: (status) => store.dispatch({ type: "server_status", status }),
      onConnectionState: (state, detail, canRetry) => {
        if (state === "failed" && detail.refusal && !canRetry) {
          return refused(detail.refusal.code, detail.refusal.message);
        }
        indicator.set(state, detail.text, canRetry, detail.transport);
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
