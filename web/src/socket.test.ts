import { describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { connectJobStatusSocket, type Connect, type JobStatusHandlers } from "./socket";
import { event, snapshot } from "./testing";
import { DEFAULT_CONFIG } from "./wire";

type Listener = (...args: never[]) => void;

/** Just enough of a socket.io-client Socket to drive the handlers by hand. */
class FakeSocket {
  active = true;
  disconnected = 0;
  connects = 0;
  readonly listeners = new Map<string, Listener>();
  readonly managerListeners = new Map<string, Listener>();
  readonly io = { on: (name: string, fn: Listener) => this.managerListeners.set(name, fn) };

  on(name: string, fn: Listener) {
    this.listeners.set(name, fn);
  }
  onAny() {}
  onAnyOutgoing() {}
  disconnect() {
    this.disconnected++;
    this.active = false;
  }
  connect() {
    this.connects++;
  }
  fire(name: string, ...args: unknown[]) {
    (this.listeners.get(name) as ((...a: unknown[]) => void) | undefined)?.(...args);
  }
  fireManager(name: string, ...args: unknown[]) {
    (this.managerListeners.get(name) as ((...a: unknown[]) => void) | undefined)?.(...args);
  }
}

function setup(serverId: string | null = null) {
  const fake = new FakeSocket();
  const seen: { uri: string; options: Record<string, unknown> }[] = [];
  const states: string[] = [];
  const received: unknown[] = [];
  const refusals: unknown[] = [];
  const connect: Connect = (uri, options) => {
    seen.push({ uri, options: options as Record<string, unknown> });
    return fake as unknown as Socket;
  };
  const handlers: JobStatusHandlers = {
    onSnapshot: (s) => received.push(["snapshot", s]),
    onEvents: (e) => received.push(["events", e]),
    onServerStatus: (s) => received.push(["server_status", s]),
    onConnectionState: (state, detail, canRetry) => {
      states.push(`${state}|${detail.text}|${canRetry}`);
      if (detail.refusal) refusals.push(detail.refusal);
    },
  };
  const socket = connectJobStatusSocket(serverId, {
    base: "http://127.0.0.1:5050/",
    token: "t0k",
    config: DEFAULT_CONFIG,
    handlers,
    resume: () => ({ epoch: "e1", seq: 41 }),
    connect,
  });
  return { fake, seen, states, received, refusals, socket };
}

describe("connectJobStatusSocket", () => {
  it("connects to the namespace with the configured options and the token", () => {
    const { seen } = setup();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.uri).toBe("http://127.0.0.1:5050/pgagent");
    expect(seen[0]!.options).toMatchObject({
      path: "/socket.io",
      reconnection: true,
      reconnectionAttempts: 10,
      reconnectionDelay: 1000,
      timeout: 20000,
    });
    let auth: unknown;
    (seen[0]!.options.auth as (send: (data: object) => void) => void)((data) => (auth = data));
    expect(auth).toEqual({ token: "t0k", resume: { epoch: "e1", seq: 41 } });
  });

  it("tells the connection state as it changes", () => {
    const { fake, states } = setup();
    fake.fire("connect");
    fake.fire("disconnect", "transport close");
    fake.fireManager("reconnect_attempt", 2);
    fake.fireManager("reconnect_failed");
    expect(states.map((s) => s.split("|")[0])).toEqual([
      "connecting",
      "live",
      "reconnecting",
      "reconnecting",
      "failed",
    ]);
    expect(states[states.length - 1]!.endsWith("|true")).toBe(true);
  });

  it("stops at a refused token and says why", () => {
    const { fake, states, refusals } = setup();
    fake.active = false;
    const error = Object.assign(new Error("not authorized"), {
      data: { code: "auth_invalid", message: "The token is not valid." },
    });
    fake.fire("connect_error", error);
    expect(fake.disconnected).toBe(1);
    expect(states[states.length - 1]).toBe("failed|The token is not valid. (auth_invalid)|false");
    expect(refusals).toEqual([{ code: "auth_invalid", message: "The token is not valid." }]);
  });

  it("keeps retrying while the service is only unreachable", () => {
    const { fake, states } = setup();
    fake.fire("connect_error", new Error("xhr poll error"));
    expect(fake.disconnected).toBe(0);
    expect(states[states.length - 1]).toBe(
      "reconnecting|Cannot reach the service: xhr poll error|false",
    );
  });

  it("decodes snapshots, single events, batches and server states", () => {
    const { fake, received } = setup();
    fake.fire("snapshot", snapshot());
    fake.fire("job_status_update", event("job_started"));
    fake.fire("job_status_update", [event("step_started"), { junk: true }]);
    fake.fire("job_status_update", "nonsense");
    const live = { server: { id: "main", name: "Main" }, state: "live", message: "" };
    fake.fire("server_status", live);
    expect(received.map((r) => (r as [string, unknown])[0])).toEqual([
      "snapshot",
      "events",
      "events",
      "server_status",
    ]);
    expect(((received[2] as [string, unknown[]])[1]).length).toBe(1);
  });

  it("passes only the chosen server's jobs when given a server id", () => {
    const { fake, received } = setup("other");
    fake.fire("snapshot", snapshot());
    fake.fire("job_status_update", event("job_started"));
    expect(received).toEqual([["snapshot", { epoch: "e1", seq: 10, servers: [] }]]);
  });
});
