/** The access token: taken from the URL's `#token=...` once, then kept for the tab only. */

export const TOKEN_KEY = "pgagent-live.token";

/** The parts of `window` this module uses, so that tests can hand in their own. */
export interface TokenWindow {
  location: Pick<Location, "hash" | "pathname" | "search">;
  history: Pick<History, "replaceState" | "state">;
  sessionStorage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
}

/**
 * Returns the token of this tab, or null when there is none.
 *
 * A token in the fragment wins over a stored one and is removed from the address bar at once,
 * so that it stays out of bookmarks, shared links and the history list. The fragment never
 * reaches the server, so it is not in any server log either.
 */
export function takeToken(win: TokenWindow): string | null {
  const params = new URLSearchParams(win.location.hash.replace(/^#/, ""));
  const fromUrl = params.get("token");

  if (fromUrl !== null) {
    params.delete("token");
    const rest = params.toString();
    const url = win.location.pathname + win.location.search + (rest ? `#${rest}` : "");
    win.history.replaceState(win.history.state, "", url);
  }

  const token = fromUrl?.trim() || null;
  try {
    if (token) {
      win.sessionStorage.setItem(TOKEN_KEY, token);
      return token;
    }
    return win.sessionStorage.getItem(TOKEN_KEY) || null;
  } catch {
    // Storage can be switched off; the token then lives only as long as this page.
    return token;
  }
}

/** Forgets the stored token, for when the service has refused it. */
export function forgetToken(win: Pick<TokenWindow, "sessionStorage">): void {
  try {
    win.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}
