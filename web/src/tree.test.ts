import { beforeEach, describe, expect, it } from "vitest";
import type { JobActions } from "./actions";
import { Store } from "./model";
import { event, jobRef, jobState, snapshot, stepEvent } from "./testing";
import { setupJobStatusListener, type JobStatusListener } from "./tree";
import { decodeEvents } from "./wire";

describe("setupJobStatusListener", () => {
  let root: HTMLElement;
  let store: Store;
  let frames: Array<() => void>;
  let calls: string[];
  let listener: JobStatusListener;

  const actions: JobActions = {
    refreshJobNode: async (serverId, jobId) => {
      calls.push(`refresh ${serverId} ${jobId}`);
    },
    runJobNow: async (serverId, jobId) => {
      calls.push(`run ${serverId} ${jobId}`);
    },
    loadJobNode: async (serverId, jobId) => {
      calls.push(`load ${serverId} ${jobId}`);
    },
  };

  const jobNode = (jobId = 1) =>
    root.querySelector<HTMLElement>(`.job[data-server-id="main"][data-job-id="${jobId}"]`);

  const drawFrames = () => {
    const pending = frames.splice(0);
    for (const draw of pending) draw();
    return pending.length;
  };

  beforeEach(() => {
    document.body.replaceChildren();
    root = document.createElement("nav");
    document.body.append(root);
    store = new Store();
    frames = [];
    calls = [];
    listener = setupJobStatusListener(root, store, actions, (draw) => frames.push(draw));
  });

  it("draws Servers > server > pgAgent Jobs > job with the test hooks", () => {
    store.dispatch({ type: "snapshot", snapshot: snapshot([jobState({ status: "succeeded" })]) });
    drawFrames();

    const server = root.querySelector<HTMLElement>('.server[data-server-id="main"]')!;
    expect(server.querySelector(".server-name")?.textContent).toBe("Main server");
    expect(server.querySelector(".jobs-collection .node-label")?.textContent).toBe("pgAgent Jobs");
    const job = jobNode()!;
    expect(job.dataset.status).toBe("succeeded");
    expect(job.querySelector(".job-name")?.textContent).toBe("nightly backup");
    expect(job.querySelector(".job-status")?.textContent).toBe("Succeeded");
    expect(job.querySelector(".job-status")?.classList.contains("status-succeeded")).toBe(true);
  });

  it("tells every server state in words, with the service's message", () => {
    const unreachable = snapshot([]);
    unreachable.servers[0] = {
      ...unreachable.servers[0]!,
      agents: [],
      state: "unreachable",
      message: "connection refused",
    };
    store.dispatch({ type: "snapshot", snapshot: unreachable });
    drawFrames();
    const server = root.querySelector<HTMLElement>('.server[data-server-id="main"]')!;
    const badge = () => server.querySelector(".server-state")?.textContent;
    const message = () => server.querySelector<HTMLElement>(".server-message")!;
    expect(server.dataset.state).toBe("unreachable");
    expect(badge()).toBe("Unreachable");
    expect(message().textContent).toBe("connection refused");
    expect(server.querySelector(".tree-empty")?.textContent).toBe(
      "The jobs show once the service has read this server.",
    );
    // Its agents are not known while it cannot be read: none is not said.
    expect(server.querySelector<HTMLElement>(".server-agents")?.hidden).toBe(true);
    expect(server.dataset.agents).toBeUndefined();

    const status = (state: string, message = "") => ({
      server: { id: "main", name: "Main server" },
      state,
      message,
    });
    const labels: Record<string, string> = {
      catching_up: "Catching up",
      polling: "Polling",
      not_installed: "pgAgent not installed",
      permission_denied: "Permission denied",
      unsupported_version: "Unsupported pgAgent version",
      connecting: "Connecting",
    };
    for (const [state, label] of Object.entries(labels)) {
      const words = `the service says ${state}`;
      store.dispatch({ type: "server_status", status: status(state, words) });
      drawFrames();
      expect(server.dataset.state).toBe(state);
      expect(badge()).toBe(label);
      expect(message().textContent).toBe(words);
      expect(message().hidden).toBe(false);
    }

    // A state without a message still says what it means; live says nothing more.
    store.dispatch({ type: "server_status", status: status("permission_denied") });
    drawFrames();
    expect(message().textContent).toBe("The service's role may not read pgAgent's tables.");
    store.dispatch({ type: "server_status", status: status("live") });
    drawFrames();
    expect(badge()).toBe("Live");
    expect(message().hidden).toBe(true);
  });

  it("tells the server's live agents, and warns when there is none", () => {
    const state = snapshot();
    state.servers[0]!.agents = [{ pid: 1, host: "db1", alive: true }];
    store.dispatch({ type: "snapshot", snapshot: state });
    drawFrames();
    const server = root.querySelector<HTMLElement>('.server[data-server-id="main"]')!;
    expect(server.dataset.agents).toBe("1");
    expect(server.querySelector(".server-agents")?.textContent).toBe("1 agent (db1)");

    const offline = decodeEvents({
      seq: 900,
      epoch: "e1",
      type: "agent_offline",
      occurred_at: "2026-01-01T10:00:00Z",
      server: { id: "main", name: "Main server" },
      agent: { pid: 1, host: "db1", login_time: "2026-01-01T09:00:00Z", alive: false },
    });
    store.dispatch({ type: "events", events: offline });
    drawFrames();
    expect(server.dataset.agents).toBe("0");
    expect(server.querySelector(".server-agents")?.textContent).toContain("No pgAgent daemon");
  });

  it("renders a hostile job name, description and message as text", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const state = snapshot([jobState({ name: hostile, description: "<b>d</b>" })]);
    state.servers[0]!.name = "<i>srv</i>";
    state.servers[0]!.message = "<script>alert(1)</script>";
    store.dispatch({ type: "snapshot", snapshot: state });
    drawFrames();

    expect(jobNode()!.querySelector(".job-name")?.textContent).toBe(hostile);
    expect(root.querySelector("img, b, i, script")).toBeNull();
    expect(root.querySelector(".server-name")?.textContent).toBe("<i>srv</i>");
    expect(root.querySelector(".server-message")?.textContent).toBe("<script>alert(1)</script>");
  });

  it("draws a burst of events once, at the next frame, with step k of n", () => {
    store.dispatch({ type: "snapshot", snapshot: snapshot() });
    drawFrames();
    const before = jobNode();

    store.dispatch({ type: "events", events: [event("job_started")] });
    store.dispatch({ type: "events", events: [stepEvent("step_started", 1, 3)] });
    store.dispatch({
      type: "events",
      events: [stepEvent("step_finished", 1, 3), stepEvent("step_started", 2, 3)],
    });
    expect(jobNode()!.dataset.status).toBe("idle");
    expect(drawFrames()).toBe(1);

    const job = jobNode()!;
    expect(job).toBe(before);
    expect(job.dataset.status).toBe("running");
    expect(job.querySelector(".job-progress")?.textContent).toBe("step 2 of 3");

    store.dispatch({ type: "events", events: [event("job_failed", { error: "<b>ERROR</b>" })] });
    listener.flush();
    expect(job.dataset.status).toBe("failed");
    expect(job.querySelector(".job-error")?.textContent).toBe("<b>ERROR</b>");
    expect(job.querySelector<HTMLElement>(".job-progress")?.hidden).toBe(true);
    expect(job.querySelector(".last-run-duration")?.textContent).toBe("3.2 s");
  });

  it("wires Run now and Refresh to the actions, and loads steps when a job opens", () => {
    store.dispatch({ type: "snapshot", snapshot: snapshot() });
    drawFrames();
    const job = jobNode()!;
    job.querySelector<HTMLButtonElement>("button.job-run")!.click();
    job.querySelector<HTMLButtonElement>("button.job-refresh")!.click();
    job.querySelector<HTMLButtonElement>(".node-row > button.toggle")!.click();
    expect(calls).toEqual(["run main 1", "refresh main 1", "refresh main 1"]);
    expect(job.getAttribute("aria-expanded")).toBe("true");
  });

  it("moves a renamed job into place and removes a deleted one", () => {
    const jobs = [jobState({ id: 1, name: "a" }), jobState({ id: 2, name: "b" })];
    store.dispatch({ type: "snapshot", snapshot: snapshot(jobs) });
    drawFrames();
    store.dispatch({ type: "events", events: [event("job_started", { job: jobRef(1, "c") })] });
    drawFrames();
    const names = Array.from(root.querySelectorAll(".job .job-name")).map((n) => n.textContent);
    expect(names).toEqual(["b", "c"]);

    store.dispatch({ type: "snapshot", snapshot: snapshot([jobState({ id: 2, name: "b" })], 1) });
    drawFrames();
    expect(jobNode(1)).toBeNull();
    expect(jobNode(2)).not.toBeNull();
  });

  describe("keyboard", () => {
    let selected: Array<string | null>;
    let menus: string[];

    beforeEach(() => {
      listener.dispose();
      selected = [];
      menus = [];
      listener = setupJobStatusListener(root, store, actions, (draw) => frames.push(draw), {
        onSelect: (job) => selected.push(job ? `${job.serverId}/${job.jobId}` : null),
        onContextMenu: (job) => menus.push(`${job.serverId}/${job.jobId}`),
      });
      const jobs = [jobState({ id: 1, name: "a" }), jobState({ id: 2, name: "b" })];
      store.dispatch({ type: "snapshot", snapshot: snapshot(jobs) });
      drawFrames();
      root.querySelector<HTMLElement>('li[data-key="root"]')!.focus();
    });

    const press = (key: string, shiftKey = false) => {
      document.activeElement!.dispatchEvent(
        new KeyboardEvent("keydown", { key, shiftKey, bubbles: true, cancelable: true }),
      );
      drawFrames();
    };
    const focusedKey = () => (document.activeElement as HTMLElement | null)?.dataset.key;

    it("moves through the visible nodes with the arrows, Home and End", () => {
      expect(focusedKey()).toBe("root");
      press("ArrowDown");
      expect(focusedKey()).toBe("s:main");
      press("ArrowDown");
      expect(focusedKey()).toBe("c:main");
      press("ArrowDown");
      expect(focusedKey()).toBe("j:main:1");
      expect(jobNode(1)!.getAttribute("aria-selected")).toBe("true");
      expect(jobNode(1)!.tabIndex).toBe(0);
      press("End");
      expect(focusedKey()).toBe("j:main:2");
      expect(jobNode(1)!.tabIndex).toBe(-1);
      press("ArrowUp");
      expect(focusedKey()).toBe("j:main:1");
      press("Home");
      expect(focusedKey()).toBe("root");
      // Only a job has details: any other node selected shows none.
      expect(selected).toEqual([null, null, "main/1", "main/2", "main/1", null]);
    });

    it("closes and opens with Left and Right, and Left goes up from a closed node", () => {
      press("ArrowDown");
      press("ArrowDown");
      const collection = root.querySelector<HTMLElement>('li[data-key="c:main"]')!;
      press("ArrowLeft");
      expect(collection.getAttribute("aria-expanded")).toBe("false");
      press("ArrowDown");
      // The jobs are hidden now: the next visible node is past them (none here).
      expect(focusedKey()).toBe("c:main");
      press("ArrowRight");
      expect(collection.getAttribute("aria-expanded")).toBe("true");
      press("ArrowRight");
      expect(focusedKey()).toBe("j:main:1");
      press("ArrowLeft");
      expect(focusedKey()).toBe("c:main");
    });

    it("opens a job with Right, loading its steps, and its menu with Shift+F10", () => {
      press("End");
      press("ArrowRight");
      expect(jobNode(2)!.getAttribute("aria-expanded")).toBe("true");
      expect(calls).toEqual(["refresh main 2"]);
      press("F10");
      expect(menus).toEqual([]);
      press("F10", true);
      press("ContextMenu");
      expect(menus).toEqual(["main/2", "main/2"]);
    });
  });
});
