import { describe, expect, it } from "vitest";
import { forgetToken, takeToken, TOKEN_KEY, type TokenWindow } from "./token";

function fakeWindow(hash: string, stored: Record<string, string> = {}) {
  const storage = new Map(Object.entries(stored));
  const replaced: string[] = [];
  const win: TokenWindow = {
    location: { hash, pathname: "/prefix/", search: "?x=1" },
    history: {
      state: null,
      replaceState: (_state: unknown, _title: string, url?: string | URL | null) => {
        replaced.push(String(url));
      },
    },
    sessionStorage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
      removeItem: (key) => void storage.delete(key),
    },
  };
  return { win, storage, replaced };
}

describe("takeToken", () => {
  it("takes the token from the fragment, keeps it for the tab and clears the address bar", () => {
    const { win, storage, replaced } = fakeWindow("#token=s3cr%2Ft");
    expect(takeToken(win)).toBe("s3cr/t");
    expect(storage.get(TOKEN_KEY)).toBe("s3cr/t");
    expect(replaced).toEqual(["/prefix/?x=1"]);
  });

  it("keeps the rest of the fragment", () => {
    const { win, replaced } = fakeWindow("#token=abc&view=jobs");
    expect(takeToken(win)).toBe("abc");
    expect(replaced).toEqual(["/prefix/?x=1#view=jobs"]);
  });

  it("uses the stored token after a reload, leaving the address alone", () => {
    const { win, replaced } = fakeWindow("", { [TOKEN_KEY]: "kept" });
    expect(takeToken(win)).toBe("kept");
    expect(replaced).toEqual([]);
  });

  it("prefers a new token in the URL to the stored one", () => {
    const { win, storage } = fakeWindow("#token=new", { [TOKEN_KEY]: "old" });
    expect(takeToken(win)).toBe("new");
    expect(storage.get(TOKEN_KEY)).toBe("new");
  });

  it("returns null without a token, and forgets a refused one", () => {
    expect(takeToken(fakeWindow("#other=1").win)).toBeNull();
    const { win, storage } = fakeWindow("", { [TOKEN_KEY]: "refused" });
    forgetToken(win);
    expect(storage.has(TOKEN_KEY)).toBe(false);
    expect(takeToken(win)).toBeNull();
  });

  it("works on the real window: the token leaves the address bar", () => {
    window.history.replaceState(null, "", "/#token=live-token");
    expect(takeToken(window)).toBe("live-token");
    expect(window.location.hash).toBe("");
    expect(window.location.href).not.toContain("live-token");
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe("live-token");
  });
});
