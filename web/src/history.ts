/** The notification history: every notification shown, newest first, until cleared. */

import { formatTime } from "./format";

/** Entries kept; older ones drop off the end. */
export const HISTORY_LIMIT = 200;

export interface HistoryEntry {
  title: string;
  text: string;
  kind: string;
  /** ISO 8601. */
  at: string;
}

export class NotificationHistory {
  private count = 0;
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLElement;

  constructor(
    panel: HTMLElement,
    private readonly counter: HTMLElement | null,
  ) {
    const doc = panel.ownerDocument;
    const head = doc.createElement("div");
    head.className = "history-head";
    const title = doc.createElement("h2");
    title.textContent = "Notifications";
    const clear = doc.createElement("button");
    clear.type = "button";
    clear.className = "history-clear";
    clear.textContent = "Clear";
    clear.addEventListener("click", () => this.clear());
    head.append(title, clear);
    this.list = doc.createElement("ol");
    this.list.className = "history-list";
    this.empty = doc.createElement("p");
    this.empty.className = "details-empty";
    this.empty.textContent = "No notifications yet.";
    panel.replaceChildren(head, this.list, this.empty);
    this.update();
  }

  add(entry: HistoryEntry): void {
    const doc = this.list.ownerDocument;
    const item = doc.createElement("li");
    item.className = `history-entry history-${entry.kind}`;
    const when = doc.createElement("time");
    when.dateTime = entry.at;
    when.textContent = formatTime(entry.at);
    const title = doc.createElement("strong");
    title.textContent = entry.title;
    const text = doc.createElement("p");
    text.textContent = entry.text;
    item.append(when, title, text);
    this.list.prepend(item);
    while (this.list.children.length > HISTORY_LIMIT) this.list.lastElementChild?.remove();
    this.count = this.list.children.length;
    this.update();
  }

  clear(): void {
    this.list.replaceChildren();
    this.count = 0;
    this.update();
  }

  get size(): number {
    return this.count;
  }

  private update(): void {
    this.empty.hidden = this.count > 0;
    if (this.counter) this.counter.textContent = this.count > 0 ? String(this.count) : "";
  }
}
