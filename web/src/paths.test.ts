import { describe, expect, it } from "vitest";
import { apiBase, pageFolder, socketTarget } from "./paths";

describe("paths", () => {
  it("hang off the root when the page is at the root", () => {
    expect(apiBase("http://127.0.0.1:5050/#token=x")).toBe("http://127.0.0.1:5050/api/v1/");
    expect(socketTarget("http://127.0.0.1:5050/", "/pgagent", "/socket.io")).toEqual({
      url: "http://127.0.0.1:5050/pgagent",
      path: "/socket.io",
    });
  });

  it("keep the prefix the page was served under", () => {
    const base = "https://ops.example/tools/pgagent/?x=1#token=y";
    expect(pageFolder(base).href).toBe("https://ops.example/tools/pgagent/");
    expect(apiBase(base)).toBe("https://ops.example/tools/pgagent/api/v1/");
    expect(socketTarget(base, "/pgagent", "/socket.io")).toEqual({
      url: "https://ops.example/pgagent",
      path: "/tools/pgagent/socket.io",
    });
  });

  it("take the folder of a page named by file", () => {
    expect(apiBase("http://h/sub/index.html")).toBe("http://h/sub/api/v1/");
    expect(socketTarget("http://h/sub/index.html", "/pgagent", "/custom/io").path).toBe(
      "/sub/custom/io",
    );
  });
});
