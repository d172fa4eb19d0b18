import { describe, expect, it } from "vitest";
import type { Socket } from "socket.io-client";
import { connectJobStatusSocket, type Connect, type JobStatusHandlers } from "./socket";
import { event, snapshot } from "./testing";
import { DEFAULT_CONFIG } from "./wire";

type Listener = (...args: never[]) => void;

/** Just enough of a socket.io-client Socket to drive the handlers by hand. */
class FakeSocket {
  active = true;
  connected = true;
  readonly sent: Array<[string, unknown]> = [];
  /** What the service answers a request with; a rejection stands for a timeout. */
  answer: () => Promise<unknown> = async () => ({ ok: true, data: null });
  timeout() {
    return {
      emitWithAck: (name: string, data: unknown) => {
        this.sent.push([name, data]);
        return this.answer();
      },
    };
  }
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
  const summaries: unknown[] = [];
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
    onFinishedSince: (s) => summaries.push(s),
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
    resume: () => ({ epoch: "e1", seq: 41, at: "2025-12-03T16:20:01+00:00" }),
    connect,
  });
  return { fake, seen, states, received, refusals, socket, summaries };
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
    expect(auth).toEqual({
      token: "t0k",
      resume: { epoch: "e1", seq: 41, at: "2025-12-03T16:20:01+00:00" },
    });
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

  it("hands on the runs that finished while away, for the chosen servers only", () => {
    const { fake, summaries } = setup("main");
    const run = { id: 4, status: "failed", started_at: "", duration: 1 };
    fake.fire("finished_since", {
      since: "2025-12-03T16:00:00+00:00",
      reason: "epoch_changed",
      servers: [
        { id: "main", runs: [{ job: { id: 1, name: "a" }, run }], error: null },
        { id: "other", runs: [], error: null },
      ],
    });
    fake.fire("finished_since", "nonsense");
    expect(summaries).toHaveLength(1);
    expect((summaries[0] as { servers: { id: string }[] }).servers.map((s) => s.id)).toEqual([
      "main",
    ]);
  });

  it("stops for good when the service ends the session, and says why", () => {
    const { fake, states, refusals } = setup();
    fake.fire("connect");
    fake.fire("session_ended", { code: "auth_invalid", message: "the token was revoked" });
    fake.fire("disconnect", "io server disconnect");
    expect(fake.disconnected).toBe(1);
    expect(states.slice(-1)).toEqual(["failed|the token was revoked (auth_invalid)|false"]);
    expect(refusals).toEqual([{ code: "auth_invalid", message: "the token was revoked" }]);
  });

  it("asks for a snapshot with resync and hands it on", async () => {
    const { fake, socket, received } = setup();
    fake.answer = async () => ({ ok: true, data: { snapshot: snapshot() } });
    expect(await socket.resync()).toBe(true);
    expect(fake.sent).toEqual([["resync", {}]]);
    expect(received.map((r) => (r as [string, unknown])[0])).toEqual(["snapshot"]);

    fake.answer = async () => ({ ok: false, error: { code: "rate_limited", message: "slow" } });
    expect(await socket.resync()).toBe(false);
    fake.answer = () => Promise.reject(new Error("operation has timed out"));
    expect(await socket.resync()).toBe(false);
    fake.connected = false;
    expect(await socket.resync()).toBe(false);
    expect(fake.sent).toHaveLength(3);
    expect(received).toHaveLength(1);
  });
});
