import { beforeEach, describe, expect, it } from "vitest";
import { HISTORY_LIMIT, NotificationHistory } from "./history";

describe("NotificationHistory", () => {
  let panel: HTMLElement;
  let counter: HTMLElement;
  let history: NotificationHistory;

  beforeEach(() => {
    document.body.replaceChildren();
    panel = document.createElement("aside");
    counter = document.createElement("span");
    document.body.append(panel, counter);
    history = new NotificationHistory(panel, counter);
  });

  const entry = (title: string, text = "") => ({
    title,
    text,
    kind: "success",
    at: "2026-01-01T10:00:00Z",
  });
  const titles = () =>
    Array.from(panel.querySelectorAll(".history-entry strong"), (e) => e.textContent);

  it("lists notifications newest first and counts them", () => {
    expect(panel.querySelector(".details-empty")?.hasAttribute("hidden")).toBe(false);
    expect(counter.textContent).toBe("");
    history.add(entry("first"));
    history.add({ ...entry("second"), kind: "failure" });

    expect(titles()).toEqual(["second", "first"]);
    expect(panel.querySelector(".history-entry")?.classList.contains("history-failure")).toBe(true);
    expect(panel.querySelector("time")?.getAttribute("datetime")).toBe("2026-01-01T10:00:00Z");
    expect(counter.textContent).toBe("2");
    expect(history.size).toBe(2);
    expect(panel.querySelector<HTMLElement>(".details-empty")?.hidden).toBe(true);
  });

  it("keeps a bounded number of entries", () => {
    for (let i = 0; i < HISTORY_LIMIT + 5; i++) history.add(entry(`n${i}`));
    expect(history.size).toBe(HISTORY_LIMIT);
    expect(titles()[0]).toBe(`n${HISTORY_LIMIT + 4}`);
    expect(titles()[titles().length - 1]).toBe("n5");
  });

  it("is cleared by its button", () => {
    history.add(entry("one"));
    panel.querySelector<HTMLButtonElement>("button.history-clear")!.click();
    expect(history.size).toBe(0);
    expect(titles()).toEqual([]);
    expect(counter.textContent).toBe("");
  });

  it("shows hostile text as text", () => {
    history.add(entry("<img src=x onerror=alert(1)>", "<script>alert(1)</script>"));
    expect(titles()).toEqual(["<img src=x onerror=alert(1)>"]);
    expect(panel.querySelector(".history-entry p")?.textContent).toBe("<script>alert(1)</script>");
    expect(panel.querySelector("img, script")).toBeNull();
  });
});
