/** The REST client of the service's `api/v1`, sending the tab's token with each request. */

import { apiBase } from "./paths";
import {
  decodeConfig,
  decodeJobDetail,
  decodeJobState,
  decodeRunPage,
  decodeServerSummary,
  type ClientConfig,
  type JobDetail,
  type JobState,
  type RunPage,
  type ServerSummary,
} from "./wire";

/** A refused or failed request, with the service's machine-readable code and its words. */
export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the service could not be reached at all. */
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The token is missing, wrong or expired: only a new URL with a token helps. */
  get isAuth(): boolean {
    return this.status === 401 || this.code.startsWith("auth_");
  }
}

type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export class ApiClient {
  private readonly base: string;
  private readonly fetch: Fetch;

  /**
   * `base` is the URL that `api/v1/` hangs off; by default the page's own folder, so that the
   * service can sit behind a URL prefix.
   */
  constructor(
    private readonly token: string,
    base: string = document.baseURI,
    fetchImpl: Fetch = (input, init) => fetch(input, init),
  ) {
    this.base = apiBase(base);
    this.fetch = fetchImpl;
  }

  async config(): Promise<ClientConfig> {
    return decodeConfig(await this.request("GET", "config"));
  }

  async servers(): Promise<ServerSummary[]> {
    return many(await this.request("GET", "servers"), decodeServerSummary);
  }

  async jobs(serverId: string): Promise<JobState[]> {
    return many(await this.request("GET", `servers/${enc(serverId)}/jobs`), decodeJobState);
  }

  async job(serverId: string, jobId: number): Promise<JobDetail> {
    const body = await this.request("GET", `servers/${enc(serverId)}/jobs/${jobId}`);
    const detail = decodeJobDetail(body);
    if (!detail) throw new ApiError(200, "bad_response", "The service sent a job without an id.");
    return detail;
  }

  /** A page of the job's runs, newest first, older than `before` when given. */
  async runs(serverId: string, jobId: number, before: number | null, limit = 20): Promise<RunPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (before !== null) query.set("before", String(before));
    const path = `servers/${enc(serverId)}/jobs/${jobId}/runs?${query.toString()}`;
    return decodeRunPage(await this.request("GET", path));
  }

  /** The whole output of one step run (`stepRunId` is its `jslid`). */
  async stepOutput(serverId: string, runId: number, stepRunId: number): Promise<string> {
    const path = `servers/${enc(serverId)}/runs/${runId}/steps/${stepRunId}/output`;
    const body = await this.request("GET", path);
    const output = typeof body === "object" && body !== null ? (body as { output?: unknown }).output : null;
    return typeof output === "string" ? output : "";
  }

  /** Asks for a run now; pgAgent starts it at its next poll. */
  async runJob(serverId: string, jobId: number): Promise<void> {
    await this.request("POST", `servers/${enc(serverId)}/jobs/${jobId}/run`);
  }

  private async request(method: "GET" | "POST", path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetch(this.base + path, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" },
        cache: "no-store",
        credentials: "same-origin",
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ApiError(0, "network_error", `The service could not be reached (${why}).`);
    }

    const body = await readJson(response);
    if (response.ok) return body;
    const fields: Record<string, unknown> =
      typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof fields.code === "string" ? fields.code : `http_${response.status}`;
    const message =
      typeof fields.message === "string" && fields.message
        ? fields.message
        : `The service answered ${response.status} ${response.statusText}.`.replace(" .", ".");
    throw new ApiError(response.status, code, message);
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function many<T>(body: unknown, decode: (item: unknown) => T | null): T[] {
  if (!Array.isArray(body)) throw new ApiError(200, "bad_response", "The service sent no list.");
  return body.map(decode).filter((item): item is T => item !== null);
}
