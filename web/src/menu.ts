/** A context menu: a list of commands at a point, worked by mouse or keyboard. */

export interface MenuItem {
  label: string;
  /** The test hook and what the item does: `refresh`, `run`, `properties`. */
  action: string;
  disabled?: boolean;
  run(): void;
}

export class ContextMenu {
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly element: HTMLElement) {
    element.setAttribute("role", "menu");
    element.hidden = true;
    element.addEventListener("keydown", (event) => this.key(event));
    const doc = element.ownerDocument;
    doc.addEventListener("mousedown", (event) => {
      if (!this.element.hidden && !this.element.contains(event.target as Node)) this.close(false);
    });
    doc.defaultView?.addEventListener("blur", () => this.close(false));
  }

  /** Shows `items` at (x, y), keeping the menu on screen, with focus on the first item. */
  open(x: number, y: number, items: MenuItem[], from: HTMLElement | null): void {
    const doc = this.element.ownerDocument;
    this.returnFocus = from;
    const buttons = items.map((item) => {
      const button = doc.createElement("button");
      button.type = "button";
      button.className = "menu-item";
      button.dataset.action = item.action;
      button.setAttribute("role", "menuitem");
      button.textContent = item.label;
      button.disabled = item.disabled ?? false;
      button.tabIndex = -1;
      button.addEventListener("click", () => {
        this.close(true);
        item.run();
      });
      return button;
    });
    this.element.replaceChildren(...buttons);
    this.element.hidden = false;

    const view = doc.defaultView;
    const width = view?.innerWidth ?? 1024;
    const height = view?.innerHeight ?? 768;
    const box = this.element.getBoundingClientRect();
    this.element.style.left = `${Math.max(0, Math.min(x, width - box.width - 4))}px`;
    this.element.style.top = `${Math.max(0, Math.min(y, height - box.height - 4))}px`;
    buttons.find((b) => !b.disabled)?.focus();
  }

  close(restoreFocus: boolean): void {
    if (this.element.hidden) return;
    this.element.hidden = true;
    this.element.replaceChildren();
    if (restoreFocus) this.returnFocus?.focus();
  }

  private key(event: KeyboardEvent): void {
    const buttons = Array.from(this.element.querySelectorAll<HTMLButtonElement>("button"))
      .filter((b) => !b.disabled);
    const index = buttons.indexOf(event.target as HTMLButtonElement);
    switch (event.key) {
      case "ArrowDown":
        buttons[(index + 1) % buttons.length]?.focus();
        break;
      case "ArrowUp":
        buttons[(index - 1 + buttons.length) % buttons.length]?.focus();
        break;
      case "Escape":
      case "Tab":
        this.close(true);
        break;
      default:
        return;
    }
    event.preventDefault();
  }
}
