/** The service's clock as seen from the page, so that running durations tick by the database. */

/**
 * Keeps the difference between the database's clock (from each event's `occurred_at`) and the
 * browser's. The estimate takes the largest offset seen: an event can only arrive after it
 * happened, so a smaller one is only delivery delay.
 */
export class ServerClock {
  private offset: number | null = null;

  constructor(private readonly browserNow: () => number = () => Date.now()) {}

  /** Notes that the service's clock read `iso` when this message was sent. */
  observe(iso: string): void {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return;
    const offset = at - this.browserNow();
    // A newer reading replaces an old one when the clocks have drifted apart by over a minute.
    if (this.offset === null || offset > this.offset || this.offset - offset > 60_000) {
      this.offset = offset;
    }
  }

  /** The service's time now, in ms since the epoch (the browser's, until anything is seen). */
  now(): number {
    return this.browserNow() + (this.offset ?? 0);
  }

  /** Seconds from `iso` to now, by the service's clock; null when `iso` is not a time. */
  since(iso: string): number | null {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? null : Math.max(0, (this.now() - at) / 1000);
  }
}

/** The browser's time zone, as the page shows it next to times. */
export function timeZoneName(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  } catch {
    return "local time";
  }
}
