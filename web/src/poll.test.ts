import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { Store } from "./model";
import { startPolling } from "./poll";
import { jobState } from "./testing";

describe("startPolling", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("loads every server's jobs, marks a failing server, and loads again later", async () => {
    const store = new Store();
    let loads = 0;
    const api = {
      servers: async () => {
        loads++;
        return [
          { id: "a", name: "A", state: "live", message: "" },
          { id: "b", name: "B", state: "live", message: "" },
        ];
      },
      jobs: async (serverId: string) => {
        if (serverId === "b") throw new ApiError(0, "network_error", "down");
        return [jobState()];
      },
    };
    const poller = startPolling(api, store, () => {}, 1000);
    await vi.advanceTimersByTimeAsync(0);

    const [a, b] = store.get().servers;
    expect(a).toMatchObject({ id: "a", state: "live" });
    expect(a!.jobs.map((j) => j.name)).toEqual(["nightly backup"]);
    expect(b).toMatchObject({ id: "b", state: "unreachable", message: "down", jobs: [] });

    await vi.advanceTimersByTimeAsync(1000);
    expect(loads).toBe(2);
    poller.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(loads).toBe(2);
  });

  it("stops for good on a refused token", async () => {
    const errors: string[] = [];
    let loads = 0;
    const api = {
      servers: async () => {
        loads++;
        throw new ApiError(401, "auth_invalid", "the token is not valid");
      },
      jobs: async () => [],
    };
    startPolling(api, new Store(), (error) => errors.push(error.code), 1000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(loads).toBe(1);
    expect(errors).toEqual(["auth_invalid"]);
  });
});
