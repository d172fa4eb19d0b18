/** The page's fixed parts: the connection indicator and the banner for page-wide problems. */

export type ConnectionState =
  | "connecting"
  | "live"
  | "reconnecting"
  | "catching_up"
  | "failed"
  | "polling";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting\u2026",
  live: "Live",
  reconnecting: "Reconnecting\u2026",
  catching_up: "Catching up\u2026",
  failed: "Disconnected",
  polling: "Polling",
};

export class ConnectionIndicator {
  constructor(
    private readonly element: HTMLElement,
    private readonly retryButton: HTMLButtonElement | null,
  ) {}

  /**
   * Shows the state, with the details as a tooltip. `canRetry` offers the Reconnect button,
   * for failures that trying again may cure (not a refused token).
   */
  set(state: ConnectionState, detail = "", canRetry = false, transport?: string): void {
    this.element.dataset.state = state;
    if (transport) this.element.dataset.transport = transport;
    else delete this.element.dataset.transport;
    // Long-polling works, but a proxy that drops WebSocket upgrades deserves a word.
    const via = transport === "polling" ? " (long-polling)" : "";
    this.element.textContent = LABELS[state] + via;
    this.element.title = detail;
    if (this.retryButton) this.retryButton.hidden = !(state === "failed" && canRetry);
  }
}

/**
 * What the indicator shows: the connection's own state, or "catching up" while it is live and
 * the service is still catching up on a server it reconnected to.
 */
export function shownState(
  connection: ConnectionState,
  detail: string,
  servers: readonly { name: string; state: string; message: string }[],
): { state: ConnectionState; detail: string } {
  if (connection !== "live") return { state: connection, detail };
  const behind = servers.filter((s) => s.state === "catching_up");
  if (behind.length === 0) return { state: connection, detail };
  const names = behind.map((s) => s.name).join(", ");
  return { state: "catching_up", detail: `The service is catching up on ${names}.` };
}

export class Banner {
  constructor(private readonly element: HTMLElement) {}

  show(title: string, text: string, kind: "info" | "error" = "error"): void {
    const doc = this.element.ownerDocument;
    const heading = doc.createElement("strong");
    heading.textContent = title;
    const body = doc.createElement("p");
    body.textContent = text;
    this.element.replaceChildren(heading, body);
    this.element.dataset.kind = kind;
    this.element.hidden = false;
  }

  hide(): void {
    this.element.hidden = true;
    this.element.replaceChildren();
  }
}

/**
 * Keeps notifications shown at the top below `head` (the details panel's title and tabs), so that
 * they never cover what names and switches the panel; the head's height changes with the name.
 * Returns the function that places them again.
 */
export function keepBelow(container: HTMLElement, head: () => HTMLElement[]): () => void {
  let top = "";
  const place = (): void => {
    const bottom = Math.max(0, ...head().map((el) => el.getBoundingClientRect().bottom));
    const next = `${Math.max(52, Math.round(bottom) + 8)}px`;
    // Set on the container alone, and only when it moves: a custom property changed on the
    // document's root would restyle every node of a large tree.
    if (next === top) return;
    top = next;
    container.style.setProperty("--notifications-top", next);
  };
  place();
  container.ownerDocument.defaultView?.addEventListener("resize", place);
  return place;
}
