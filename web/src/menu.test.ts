import { beforeEach, describe, expect, it } from "vitest";
import { ContextMenu, type MenuItem } from "./menu";

describe("ContextMenu", () => {
  let element: HTMLElement;
  let from: HTMLElement;
  let menu: ContextMenu;
  let ran: string[];

  const items = (): MenuItem[] => [
    { label: "Refresh", action: "refresh", run: () => ran.push("refresh") },
    { label: "Run now", action: "run", disabled: true, run: () => ran.push("run") },
    { label: "Properties", action: "properties", run: () => ran.push("properties") },
  ];
  const press = (key: string) =>
    document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  const focused = () => (document.activeElement as HTMLElement | null)?.dataset.action;

  beforeEach(() => {
    document.body.replaceChildren();
    element = document.createElement("div");
    from = document.createElement("button");
    document.body.append(from, element);
    menu = new ContextMenu(element);
    ran = [];
  });

  it("opens at the point with focus on the first item, and moves past disabled ones", () => {
    expect(element.getAttribute("role")).toBe("menu");
    expect(element.hidden).toBe(true);
    menu.open(30, 40, items(), from);

    expect(element.hidden).toBe(false);
    expect(element.style.left).toBe("30px");
    expect(element.style.top).toBe("40px");
    const buttons = Array.from(element.querySelectorAll<HTMLButtonElement>("button"));
    expect(buttons.map((b) => [b.dataset.action, b.getAttribute("role"), b.disabled])).toEqual([
      ["refresh", "menuitem", false],
      ["run", "menuitem", true],
      ["properties", "menuitem", false],
    ]);
    expect(focused()).toBe("refresh");
    press("ArrowDown");
    expect(focused()).toBe("properties");
    press("ArrowDown");
    expect(focused()).toBe("refresh");
    press("ArrowUp");
    expect(focused()).toBe("properties");
  });

  it("runs a chosen item, closes, and gives focus back", () => {
    menu.open(0, 0, items(), from);
    element.querySelector<HTMLButtonElement>('[data-action="properties"]')!.click();
    expect(ran).toEqual(["properties"]);
    expect(element.hidden).toBe(true);
    expect(element.children).toHaveLength(0);
    expect(document.activeElement).toBe(from);
  });

  it("closes on Escape with focus back, and on a click elsewhere", () => {
    menu.open(0, 0, items(), from);
    press("Escape");
    expect(element.hidden).toBe(true);
    expect(document.activeElement).toBe(from);

    menu.open(0, 0, items(), from);
    document.body.dispatchEvent(new MouseEvent("mousedown", { bubbles: true }));
    expect(element.hidden).toBe(true);
    expect(ran).toEqual([]);
  });

  it("stays on screen near the window's edge", () => {
    menu.open(window.innerWidth + 500, window.innerHeight + 500, items(), from);
    expect(parseFloat(element.style.left)).toBeLessThanOrEqual(window.innerWidth);
    expect(parseFloat(element.style.top)).toBeLessThanOrEqual(window.innerHeight);
    expect(parseFloat(element.style.left)).toBeGreaterThanOrEqual(0);
  });
});
