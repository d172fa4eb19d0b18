/** The page's one Socket.IO connection to the `/pgagent` namespace (`connectJobStatusSocket`). */

import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import type { ResumePoint } from "./model";
import type { ConnectionState } from "./page";
import { socketTarget } from "./paths";
import {
  decodeEvents,
  decodeFinishedSince,
  decodeServerStatus,
  decodeSnapshot,
  type ClientConfig,
  type FinishedSince,
  type JobEvent,
  type ServerStatus,
  type Snapshot,
} from "./wire";

/** What the connection state is about: words, and the service's refusal when it refused. */
export interface ConnectionDetail {
  text: string;
  /** `websocket` or `polling` (HTTP long-polling), once connected. */
  transport?: string;
  refusal?: { code: string; message: string };
  /** The service ended a session it had accepted (`session_ended`): the token lapsed. */
  ended?: boolean;
}

export interface JobStatusHandlers {
  /** The whole state, sent on every connect: it replaces what the page had. */
  onSnapshot(snapshot: Snapshot): void;
  onEvents(events: JobEvent[]): void;
  onServerStatus(status: ServerStatus): void;
  /** The runs that ended while the page was away, after the snapshot of a late resume. */
  onFinishedSince?(summary: FinishedSince): void;
  /** `canRetry` is false when trying again cannot help, as with a refused token. */
  onConnectionState(state: ConnectionState, detail: ConnectionDetail, canRetry: boolean): void;
}

export type Connect = (uri: string, options: Partial<ManagerOptions & SocketOptions>) => Socket;

export interface ConnectOptions {
  /** The page's address (`document.baseURI`): every path of the service hangs off its folder. */
  base: string;
  token: string;
  config: ClientConfig;
  handlers: JobStatusHandlers;
  /** The last event seen, sent on reconnect so that the service can replay what was missed. */
  resume?: () => ResumePoint | null;
  /** Logs every event in and out when the service runs with `debug`. */
  log?: (message: string, ...values: unknown[]) => void;
  connect?: Connect;
}

export interface JobStatusSocket {
  /** Connects again after the connection failed for good. */
  reconnect(): void;
  /**
   * Asks the service for the whole state again (`resync` without a position, so that the
   * answer is a snapshot) and hands it to `onSnapshot`. Resolves false when it could not.
   */
  resync(): Promise<boolean>;
  close(): void;
}

/** How long a `resync` may wait for its answer, in ms. */
const RESYNC_TIMEOUT = 20_000;

/** How long a reconnected socket may stay quiet before it counts as caught up, in ms. */
const CATCH_UP_GRACE = 3000;

/** Refusals that only a new token cures: no retry, whether automatic or offered. */
const TOKEN_REFUSALS = new Set(["auth_required", "auth_invalid", "auth_expired", "forbidden"]);

/**
 * Connects to the namespace and hands decoded events to `handlers`.
 *
 * `serverId` narrows what reaches the handlers to one server's jobs; null passes everything.
 * The page keeps one connection whatever it shows: a server is a filter, not a socket.
 */
export function connectJobStatusSocket(
  serverId: string | null,
  options: ConnectOptions,
): JobStatusSocket {
  const { config, handlers, token } = options;
  const connect = options.connect ?? io;
  const mine = (id: string): boolean => serverId === null || id === serverId;

  const target = socketTarget(options.base, config.namespace, config.socket.path);
  const socket = connect(target.url, {
    path: target.path,
    reconnection: config.socket.reconnection,
    reconnectionAttempts: config.socket.reconnectionAttempts,
    reconnectionDelay: config.socket.reconnectionDelay,
    timeout: config.socket.timeout,
    // A function, so that each reconnect sends the latest position rather than the first one.
    auth: (send) => {
      const resume = options.resume?.() ?? null;
      send(resume ? { token, resume } : { token });
    },
  });
  let closed = false;

  if (options.log) {
    const log = options.log;
    socket.onAny((event: string, ...args: unknown[]) => log(`<- ${event}`, ...args));
    socket.onAnyOutgoing((event: string, ...args: unknown[]) => log(`-> ${event}`, ...args));
  }

  const tell = (state: ConnectionState, text: string, canRetry = false): void => {
    handlers.onConnectionState(state, { text }, canRetry);
  };
  const transport = (): string | undefined => socket.io.engine?.transport?.name;
  const tellLive = (): void => {
    catchingUp = false;
    if (caughtUpTimer !== undefined) clearTimeout(caughtUpTimer);
    handlers.onConnectionState("live", { text: "", transport: transport() }, false);
  };

  // After a reconnect the service replays what was missed (or sends a snapshot): until that has
  // arrived the tree may be behind, and the page says so.
  let everConnected = false;
  let catchingUp = false;
  let caughtUpTimer: ReturnType<typeof setTimeout> | undefined;

  tell("connecting", "");

  // Registered once: socket.io keeps this socket object across reconnects, so no handler is
  // ever added twice, however often the connection comes back.
  socket.on("connect", () => {
    socket.io.engine?.once?.("upgrade", () => {
      if (!catchingUp) tellLive();
    });
    if (!everConnected) {
      everConnected = true;
      tellLive();
      return;
    }
    catchingUp = true;
    handlers.onConnectionState(
      "catching_up",
      { text: "Reconnected; catching up on what was missed.", transport: transport() },
      false,
    );
    caughtUpTimer = setTimeout(() => {
      if (catchingUp) tellLive();
    }, CATCH_UP_GRACE);
  });

  socket.on("disconnect", (reason) => {
    if (closed || reason === "io client disconnect") return;
    if (reason === "io server disconnect") {
      // The service closed this socket on purpose; socket.io does not reconnect by itself then.
      tell("failed", "The service closed the connection.", true);
    } else {
      tell("reconnecting", `Connection lost (${reason}).`);
    }
  });

  socket.on("connect_error", (error: Error & { data?: unknown }) => {
    const refusal = readRefusal(error.data);
    if (refusal || !socket.active) {
      // Refused by the service: it would refuse again, so stop here and say why.
      const code = refusal?.code ?? "refused";
      const message = refusal?.message || error.message || "The service refused the connection.";
      socket.disconnect();
      handlers.onConnectionState(
        "failed",
        { text: `${message} (${code})`, refusal: { code, message } },
        !TOKEN_REFUSALS.has(code),
      );
      return;
    }
    tell("reconnecting", `Cannot reach the service: ${error.message}`);
  });

  socket.io.on("reconnect_attempt", (attempt) => {
    const of = config.socket.reconnectionAttempts;
    const tries = Number.isFinite(of) ? `attempt ${attempt} of ${of}` : `attempt ${attempt}`;
    tell("reconnecting", `Reconnecting, ${tries}.`);
  });

  socket.io.on("reconnect_failed", () => {
    tell("failed", "The service could not be reached; gave up retrying.", true);
  });

  socket.on("snapshot", (payload: unknown) => {
    const snapshot = decodeSnapshot(payload);
    if (!snapshot) return;
    handlers.onSnapshot({ ...snapshot, servers: snapshot.servers.filter((s) => mine(s.id)) });
    if (catchingUp) tellLive();
  });

  socket.on("job_status_update", (payload: unknown) => {
    const events = decodeEvents(payload).filter((e) => mine(e.server.id));
    if (events.length > 0) handlers.onEvents(events);
    if (catchingUp) tellLive();
  });

  socket.on("finished_since", (payload: unknown) => {
    const summary = decodeFinishedSince(payload);
    if (!summary) return;
    const servers = summary.servers.filter((s) => mine(s.id));
    handlers.onFinishedSince?.({ ...summary, servers });
  });

  // The token was revoked or expired under a live socket: the service disconnects it next.
  // Trying again would be refused, so the page stops here and says why.
  socket.on("session_ended", (payload: unknown) => {
    const refusal = readRefusal(payload) ?? { code: "auth_invalid", message: "" };
    const message = refusal.message || "The service ended this session.";
    closed = true;
    socket.disconnect();
    const text = `${message} (${refusal.code})`;
    const detail = { text, refusal: { code: refusal.code, message }, ended: true };
    handlers.onConnectionState("failed", detail, false);
  });

  socket.on("server_status", (payload: unknown) => {
    const status = decodeServerStatus(payload);
    if (status && mine(status.server.id)) handlers.onServerStatus(status);
  });

  return {
    reconnect() {
      closed = false;
      tell("connecting", "");
      socket.connect();
    },
    async resync() {
      if (closed || !socket.connected) return false;
      let answer: unknown;
      try {
        answer = await socket.timeout(RESYNC_TIMEOUT).emitWithAck("resync", {});
      } catch {
        return false;
      }
      const reply = answer as { ok?: unknown; data?: { snapshot?: unknown } } | null;
      const snapshot = reply?.ok === true ? decodeSnapshot(reply.data?.snapshot) : null;
      if (!snapshot) return false;
      handlers.onSnapshot({ ...snapshot, servers: snapshot.servers.filter((s) => mine(s.id)) });
      return true;
    },
    close() {
      closed = true;
      socket.disconnect();
    },
  };
}

function readRefusal(data: unknown): { code: string; message: string } | null {
  if (typeof data !== "object" || data === null) return null;
  const { code, message } = data as Record<string, unknown>;
  if (typeof code !== "string") return null;
  return { code, message: typeof message === "string" ? message : "" };
}
