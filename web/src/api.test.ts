import { describe, expect, it } from "vitest";
import { ApiClient, ApiError } from "./api";

function respond(status: number, body: unknown) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === undefined ? "" : JSON.stringify(body), { status });
  };
  return { calls, fetchImpl };
}

describe("ApiClient", () => {
  it("sends the token and resolves paths below the page, so a URL prefix works", async () => {
    const { calls, fetchImpl } = respond(200, [{ id: 3, name: "j", status: "idle" }]);
    const api = new ApiClient("t0k", "https://host/prefix/", fetchImpl);
    const jobs = await api.jobs("a b");
    expect(calls[0]!.url).toBe("https://host/prefix/api/v1/servers/a%20b/jobs");
    expect(new Headers(calls[0]!.init.headers).get("Authorization")).toBe("Bearer t0k");
    expect(jobs[0]).toMatchObject({ id: 3, name: "j", enabled: true, last_run: null });
  });

  it("fills the defaults of the page's settings", async () => {
    const { fetchImpl } = respond(200, {
      websocket_enabled: false,
      notification: { position: "nowhere" },
    });
    const config = await new ApiClient("t", "http://h/", fetchImpl).config();
    expect(config.websocket_enabled).toBe(false);
    expect(config.namespace).toBe("/pgagent");
    expect(config.notification).toEqual({ duration: 5000, position: "top-right" });
  });

  it("turns an error body into an ApiError with its code and words", async () => {
    const { fetchImpl } = respond(404, { code: "not_found", message: "no job 9 on main" });
    const api = new ApiClient("t", "http://h/", fetchImpl);
    const error = await api.job("main", 9).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 404,
      code: "not_found",
      message: "no job 9 on main",
      isAuth: false,
    });

    const refused = respond(401, { code: "auth_invalid", message: "bad token" });
    const refusing = new ApiClient("t", "http://h/", refused.fetchImpl);
    const auth = await refusing.runJob("main", 1).catch((e: unknown) => e);
    expect(auth).toMatchObject({ code: "auth_invalid", isAuth: true });
  });

  it("says so when the service cannot be reached", async () => {
    const down = () => Promise.reject(new TypeError("Failed to fetch"));
    const api = new ApiClient("t", "http://h/", down);
    await expect(api.servers()).rejects.toMatchObject({ status: 0, code: "network_error" });
  });
});
