import { beforeEach, describe, expect, it } from "vitest";
import { DetailsPanel, PAGE_SIZE } from "./details";
import { Store } from "./model";
import { jobState, snapshot } from "./testing";
import type { RunPage, RunRecord, StepRun } from "./wire";

const HOSTILE = "<img src=x onerror=alert(1)>";

function stepRun(id: number, overrides: Partial<StepRun> = {}): StepRun {
  return {
    id,
    step_id: 5,
    name: "extract",
    kind: "sql",
    status: "succeeded",
    result: 1,
    started_at: "2026-01-01T10:00:00Z",
    duration: 1.5,
    output: "",
    output_size: 0,
    ...overrides,
  };
}

function runRecord(id: number, steps: StepRun[] = [stepRun(id * 10)]): RunRecord {
  return { id, status: "succeeded", started_at: "2026-01-01T10:00:00Z", duration: 2, steps };
}

/** Lets the panel's pending loads finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("DetailsPanel", () => {
  let root: HTMLElement;
  let store: Store;
  let pages: Map<number | null, RunPage>;
  let calls: string[];
  let tabs: string[];
  let panel: DetailsPanel;

  beforeEach(() => {
    document.body.replaceChildren();
    root = document.createElement("section");
    document.body.append(root);
    store = new Store();
    store.dispatch({
      type: "snapshot",
      snapshot: snapshot([jobState({ description: HOSTILE, status: "succeeded" })]),
    });
    pages = new Map();
    calls = [];
    tabs = [];
    panel = new DetailsPanel(root, {
      api: {
        runs: async (serverId, jobId, before, limit) => {
          calls.push(`runs ${serverId} ${jobId} ${before} ${limit}`);
          return pages.get(before) ?? { runs: [], next_before: null };
        },
        stepOutput: async (serverId, runId, stepRunId) => {
          calls.push(`output ${serverId} ${runId} ${stepRunId}`);
          return `whole ${HOSTILE}`;
        },
      },
      store,
      tab: "properties",
      onTabChange: (tab) => tabs.push(tab),
    });
  });

  const facts = () => {
    const terms = Array.from(root.querySelectorAll(".facts dt"), (dt) => dt.textContent);
    const values = Array.from(root.querySelectorAll(".facts dd"), (dd) => dd.textContent);
    return Object.fromEntries(terms.map((term, i) => [term, values[i]]));
  };

  it("asks for a job until one is selected, then shows its properties as text", () => {
    expect(root.querySelector(".details-title")?.textContent).toBe("Select a job");
    expect(root.querySelector<HTMLElement>(".tab")?.hidden).toBe(true);

    panel.show({ serverId: "main", jobId: 1 });
    expect(root.querySelector(".details-title")?.textContent).toBe("nightly backup");
    expect(facts()).toMatchObject({
      Name: "nightly backup",
      ID: "1",
      Enabled: "Yes",
      Class: "Loading\u2026",
      Description: HOSTILE,
      "Last run": "Never",
      Status: "Succeeded",
    });
    expect(root.querySelector("img")).toBeNull();
  });

  it("shows the class, creation and change once the job is loaded", () => {
    panel.show({ serverId: "main", jobId: 1 });
    const detail = {
      ...jobState({ job_class: "Routine Maintenance", created: "2026-01-01T09:00:00Z" }),
      steps: [],
      schedules: [],
    };
    store.dispatch({ type: "job_detail", serverId: "main", detail, note: null });
    expect(facts()).toMatchObject({
      Class: "Routine Maintenance",
      Changed: "Not told by the service",
    });
    expect(facts().Created).not.toBe("Not told by the service");
  });

  it("says when the selected job no longer exists", () => {
    panel.show({ serverId: "main", jobId: 99 });
    expect(root.querySelector(".details-title")?.textContent).toBe("The job no longer exists");
  });

  it("pages the run history from the newest, and loads a whole output on demand", async () => {
    const cut = stepRun(11, { name: HOSTILE, output: "start", output_size: 5000 });
    pages.set(null, { runs: [runRecord(9, [cut]), runRecord(8)], next_before: 8 });
    pages.set(8, { runs: [runRecord(7)], next_before: null });
    panel.show({ serverId: "main", jobId: 1 });

    root.querySelector<HTMLButtonElement>('button[data-tab="statistics"]')!.click();
    await settle();
    expect(tabs).toEqual(["statistics"]);
    const ids = () =>
      Array.from(root.querySelectorAll<HTMLElement>(".run"), (run) => run.dataset.runId);
    expect(ids()).toEqual(["9", "8"]);
    const more = root.querySelector<HTMLButtonElement>("button.runs-more")!;
    expect(more.hidden).toBe(false);

    more.click();
    await settle();
    expect(ids()).toEqual(["9", "8", "7"]);
    expect(more.hidden).toBe(true);
    expect(calls).toEqual([`runs main 1 null ${PAGE_SIZE}`, `runs main 1 8 ${PAGE_SIZE}`]);

    const row = root.querySelector<HTMLElement>('tr[data-step-run-id="11"]')!;
    expect(row.querySelector(".step-run-name")?.textContent).toBe(HOSTILE);
    expect(row.querySelector(".output")?.textContent).toBe("start");
    row.querySelector<HTMLButtonElement>("button.output-full")!.click();
    await settle();
    expect(calls[calls.length - 1]).toBe("output main 9 11");
    expect(row.querySelector(".output")?.textContent).toBe(`whole ${HOSTILE}`);
    expect(row.querySelector("button.output-full")).toBeNull();
    expect(root.querySelector("img")).toBeNull();
  });

  it("says when a job has never run, and loads the history again when a run ends", async () => {
    panel.show({ serverId: "main", jobId: 1 });
    root.querySelector<HTMLButtonElement>('button[data-tab="statistics"]')!.click();
    await settle();
    expect(root.querySelector(".statistics .details-empty")?.textContent).toBe(
      "This job has never run.",
    );

    pages.set(null, { runs: [runRecord(3)], next_before: null });
    const lastRun = {
      id: 3,
      status: "succeeded",
      started_at: "2026-01-01T10:00:00Z",
      duration: 2,
      steps_done: 1,
      steps_total: 1,
    };
    store.dispatch({
      type: "snapshot",
      snapshot: snapshot([jobState({ status: "succeeded", last_run: lastRun })], 20),
    });
    await settle();
    expect(root.querySelectorAll(".run")).toHaveLength(1);
  });
});
