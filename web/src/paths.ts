/** Every address the page uses, derived from its own, so that it works under any URL prefix. */

/** The folder the page lives in: `/` at the root, `/pgagent/` under that prefix. */
export function pageFolder(baseURI: string): URL {
  const base = new URL(baseURI);
  base.pathname = base.pathname.replace(/[^/]*$/, "");
  base.search = "";
  base.hash = "";
  return base;
}

/** Where `api/v1/` hangs off. */
export function apiBase(baseURI: string): string {
  return new URL("api/v1/", pageFolder(baseURI)).href;
}

/**
 * Where Socket.IO is: the namespace's URL and the engine's path, both under the page's folder.
 * The service hands over its socket path relative to its own root (`/socket.io`).
 */
export function socketTarget(
  baseURI: string,
  namespace: string,
  socketPath: string,
): { url: string; path: string } {
  const folder = pageFolder(baseURI);
  return {
    url: folder.origin + namespace,
    path: folder.pathname + socketPath.replace(/^\/+/, ""),
  };
}
