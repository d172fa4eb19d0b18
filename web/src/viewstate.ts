/** What the person has opened and selected, kept for the tab so that F5 comes back to it. */

export const VIEW_KEY = "pgagent-live.view";

export type DetailsTab = "properties" | "statistics";

export interface ViewState {
  /** The key of the selected node (`j:server:job` for a job), or null. */
  selected: string | null;
  /** Jobs opened to show their steps and schedules. */
  opened: Set<string>;
  /** Servers and collections closed (they are open unless closed). */
  closed: Set<string>;
  tab: DetailsTab;
}

type Storage = Pick<globalThis.Storage, "getItem" | "setItem">;

export function jobKey(serverId: string, jobId: number): string {
  return `j:${serverId}:${jobId}`;
}

/** The server and job of a job key; null for any other key. */
export function parseJobKey(key: string | null): { serverId: string; jobId: number } | null {
  const match = key ? /^j:(.*):(\d+)$/.exec(key) : null;
  return match ? { serverId: match[1]!, jobId: Number(match[2]) } : null;
}

export function loadViewState(storage: Storage | null): ViewState {
  const empty: ViewState = { selected: null, opened: new Set(), closed: new Set(), tab: "properties" };
  try {
    const raw = storage?.getItem(VIEW_KEY);
    if (!raw) return empty;
    const data = JSON.parse(raw) as Record<string, unknown>;
    const strings = (v: unknown): string[] =>
      Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    return {
      selected: typeof data.selected === "string" ? data.selected : null,
      opened: new Set(strings(data.opened)),
      closed: new Set(strings(data.closed)),
      tab: data.tab === "statistics" ? "statistics" : "properties",
    };
  } catch {
    // Storage off, or something else's data under our key: start afresh.
    return empty;
  }
}

export function saveViewState(storage: Storage | null, view: ViewState): void {
  try {
    storage?.setItem(
      VIEW_KEY,
      JSON.stringify({
        selected: view.selected,
        opened: [...view.opened],
        closed: [...view.closed],
        tab: view.tab,
      }),
    );
  } catch {
    // Without storage the view lasts as long as the page.
  }
}
