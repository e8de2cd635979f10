/**
 * Driving the system the way its users do: the connector's HTTP API (create integrations, force
 * syncs, poll runs) and the simulator's control API (accounts, members, tokens, latency, the
 * request log). Everything talks to 127.0.0.1 only.
 */
import { ADMIN_TOKEN, type LogTap } from "./processes";
import { waitFor } from "./util";

export interface SyncRun {
  id: string;
  integrationId: string;
  trigger: string;
  status: "queued" | "running" | "succeeded" | "failed";
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  apiRequests: number;
  counts: { seen: number; added: number; updated: number; removed: number; unchanged: number };
  error: { code: string; message: string } | null;
}

export interface Integration {
  id: string;
  label: string;
  accountId: string;
  enabled: boolean;
  status: string;
  accountCount: number;
  lastSync: SyncRun | null;
}

/** The `sync_run` log line a finished run prints (src/sync/run.ts). */
export interface SyncRunLog {
  runId: string;
  integrationId: string;
  trigger: string;
  status: string;
  durationMs: number;
  apiRequests: number;
  pages?: number;
  rowsWritten?: number;
  time: string;
  counts?: SyncRun["counts"];
  error?: string;
}

export class Bench {
  readonly api: string;
  readonly sim: string;

  constructor(
    workerPort: number,
    simPort: number,
    readonly workerLog: LogTap,
  ) {
    this.api = `http://127.0.0.1:${workerPort}`;
    this.sim = `http://127.0.0.1:${simPort}`;
  }

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    expect?: number,
    timeoutMs = 120_000,
  ): Promise<T> {
    const r = await fetch(`${this.api}${path}`, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        Authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if ((expect !== undefined && r.status !== expect) || r.status >= 400) {
      throw new Error(`${method} ${path} → ${r.status}: ${text.slice(0, 500)}`);
    }
    return (text === "" ? null : JSON.parse(text)) as T;
  }

  async control<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.sim}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`simulator ${method} ${path} → ${r.status}: ${text.slice(0, 500)}`);
    return (text === "" ? null : JSON.parse(text)) as T;
  }

  setLatency(latencyMs: number) {
    return this.control("POST", "/config", { latencyMs });
  }

  /** A simulated Cloudflare account with `members` generated members and a read token for it. */
  async account(name: string, members: number, rateLimit?: { limit: number; windowSeconds: number }) {
    const { id } = await this.control<{ id: string }>("POST", "/accounts", {
      name,
      generateMembers: members,
    });
    const token = await this.control<{ value: string }>("POST", "/tokens", {
      kind: "user",
      accountIds: [id],
      ...(rateLimit ? { rateLimit } : {}),
    });
    return { accountId: id, token: token.value, name };
  }

  /** Connects an account through the real API; its first sync is queued at once. */
  createIntegration(label: string, account: { accountId: string; token: string; name: string }) {
    return this.call<Integration>(
      "POST",
      "/v1/integrations",
      { label, organizationName: account.name, accountId: account.accountId, apiToken: account.token },
      201,
    );
  }

  startSync(integrationId: string) {
    return this.call<SyncRun>("POST", `/v1/integrations/${integrationId}/sync`, undefined, 202);
  }

  /** Polls GET /v1/syncs/{id} until the run finished; throws if it failed. */
  async finished(runId: string, timeoutMs = 300_000): Promise<SyncRun> {
    const run = await waitFor(
      `sync ${runId}`,
      async () => {
        let r: SyncRun;
        try {
          r = await this.call<SyncRun>("GET", `/v1/syncs/${runId}`, undefined, undefined, 10_000);
        } catch (e) {
          // Local D1 never answers a query that arrives while a very large batch is running (seen with
          // the 300,000-row batch of a 50,000-member first sync); later queries are fine. Poll again.
          if (e instanceof Error && e.name === "TimeoutError") return undefined;
          throw e;
        }
        return r.status === "succeeded" || r.status === "failed" ? r : undefined;
      },
      timeoutMs,
      250,
    );
    if (run.status !== "succeeded") throw new Error(`sync ${runId} failed: ${JSON.stringify(run.error)}`);
    return run;
  }

  /** The run's `sync_run` log line (durationMs, pages, rowsWritten). */
  async runLog(runId: string, timeoutMs = 30_000): Promise<SyncRunLog> {
    const e = await this.workerLog.waitFor(
      (ev) => ev.event === "sync_run" && ev.runId === runId && ev.status !== "requeued",
      timeoutMs,
      `the sync_run log line of ${runId}`,
    );
    return e as unknown as SyncRunLog;
  }

  /** Times (ms) of the member-listing requests (`per_page=50`, as the sync sends them) the simulator saw. */
  async memberListingRequests(accountId: string): Promise<number[]> {
    const { requests } = await this.control<{ requests: { query: string; at: string }[] }>(
      "GET",
      `/requests?accountId=${accountId}&route=members`,
    );
    return requests
      .filter((r) => /(^|&)per_page=50(&|$)/.test(r.query))
      .map((r) => Date.parse(r.at))
      .sort((x, y) => x - y);
  }

  /** Events D1 holds for one sync run (bench route). */
  async eventsOf(runId: string): Promise<number> {
    const r = await fetch(`${this.api}/__bench/sync-events?syncId=${runId}`);
    return ((await r.json()) as { events: number }).events;
  }
}
