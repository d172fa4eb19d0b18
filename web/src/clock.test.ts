import { describe, expect, it } from "vitest";
import { ServerClock, timeZoneName } from "./clock";

describe("ServerClock", () => {
  const at = (iso: string) => Date.parse(iso);

  it("runs on the browser's clock until the service's is seen", () => {
    const clock = new ServerClock(() => at("2026-01-01T10:00:00Z"));
    expect(clock.now()).toBe(at("2026-01-01T10:00:00Z"));
    expect(clock.since("2026-01-01T09:59:50Z")).toBe(10);
  });

  it("takes the largest offset seen: a smaller one is only delivery delay", () => {
    let browser = at("2026-01-01T10:00:00Z");
    const clock = new ServerClock(() => browser);
    // The database is 5 s ahead; the first event took 1 s to arrive.
    clock.observe("2026-01-01T10:00:04Z");
    clock.observe("2026-01-01T10:00:05Z");
    clock.observe("2026-01-01T10:00:03Z");
    expect(clock.now()).toBe(at("2026-01-01T10:00:05Z"));

    browser += 2000;
    expect(clock.since("2026-01-01T10:00:00Z")).toBe(7);
  });

  it("follows clocks that drift apart by over a minute, and ignores what is not a time", () => {
    const clock = new ServerClock(() => at("2026-01-01T10:00:00Z"));
    clock.observe("2026-01-01T10:05:00Z");
    clock.observe("not a time");
    expect(clock.now()).toBe(at("2026-01-01T10:05:00Z"));
    clock.observe("2026-01-01T10:01:00Z");
    expect(clock.now()).toBe(at("2026-01-01T10:01:00Z"));
  });

  it("never counts a start in the future as negative, and says null for no time", () => {
    const clock = new ServerClock(() => at("2026-01-01T10:00:00Z"));
    expect(clock.since("2026-01-01T10:00:30Z")).toBe(0);
    expect(clock.since("")).toBeNull();
  });

  it("names the browser's time zone", () => {
    expect(timeZoneName()).not.toBe("");
  });
});
