/** Driving the Cloudflare API simulator through its control API, and realistic raw members. */
import { SIMULATOR_ORIGIN } from "./constants";

async function control<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${SIMULATOR_ORIGIN}/__sim${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`simulator ${method} ${path} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export type RawMember = Record<string, any>;

/** `?actor=` for member changes: the email the audit log records as having made them. */
const as = (actor: string | undefined) => (actor ? `?actor=${encodeURIComponent(actor)}` : "");

/** How an account's member list is served (simulator/README.md): as recorded, or bent for tests. */
export interface ListingSwitches {
  /** Serve at most this many members per page, whatever was asked. */
  servePerPage?: number | null;
  resultInfo?: "full" | "no_total_pages" | "no_totals";
  nestedOrder?: "stored" | "reversed";
  emptyResult?: "array" | "null";
  /** Dashboard SSO connectors of the account. */
  ssoConnectors?: { emailDomain: string; enabled?: boolean }[];
  /** Audit entries younger than this are not served yet. */
  auditLagSeconds?: number;
}

export const sim = {
  createAccount: (
    body: {
      id?: string;
      name: string;
      enforceTwoFactor?: boolean;
      members?: RawMember[];
      generateMembers?: number;
    } & ListingSwitches,
  ) => control<{ id: string }>("POST", "/accounts", body).then((r) => r.id),
  patchAccount: (id: string, body: { name?: string; enforceTwoFactor?: boolean } & ListingSwitches) =>
    control("PATCH", `/accounts/${id}`, body),
  members: (accountId: string) =>
    control<{ members: RawMember[] }>("GET", `/accounts/${accountId}/members`).then((r) => r.members),
  replaceMembers: (accountId: string, members: RawMember[], actor?: string) =>
    control("PUT", `/accounts/${accountId}/members${as(actor)}`, { members }),
  addMembers: (accountId: string, members: RawMember[], actor?: string) =>
    control("POST", `/accounts/${accountId}/members${as(actor)}`, { members }),
  patchMember: (accountId: string, memberId: string, patch: RawMember, actor?: string) =>
    control("PATCH", `/accounts/${accountId}/members/${memberId}${as(actor)}`, patch),
  deleteMember: (accountId: string, memberId: string, actor?: string) =>
    control("DELETE", `/accounts/${accountId}/members/${memberId}${as(actor)}`),
  /** The account's audit log as the simulator recorded it. */
  audit: (accountId: string) =>
    control<{ entries: Record<string, any>[] }>("GET", `/accounts/${accountId}/audit`).then((r) => r.entries),
  /** An audit entry about something else than members. */
  unrelatedAuditEntry: (accountId: string) => control("POST", `/accounts/${accountId}/audit/unrelated`),
  createToken: (body: {
    value?: string;
    kind: "user" | "account";
    accountIds: string[];
    status?: "active" | "disabled" | "expired";
    expiresOn?: string | null;
    permissions?: {
      accountSettingsRead?: boolean;
      auditLogs?: boolean;
      apiTokensRead?: boolean;
      ssoRead?: boolean;
    };
    accountsList?: "repeat" | "reject";
    name?: string;
    lastUsedOn?: string | null;
    policies?: object[];
    rateLimit?: { limit: number; windowSeconds: number };
    /** A client IP filter that refuses the connector: 403 / 9109 on every route but verify. */
    ipRestricted?: boolean;
    /** The code of the 403 for a missing permission: 10000 (default) or 9109. */
    forbiddenCode?: 10000 | 9109;
  }) => control<{ value: string }>("POST", "/tokens", body).then((r) => r.value),
  patchToken: (
    value: string,
    body: { status?: string; revoked?: boolean; permissions?: object; ipRestricted?: boolean },
  ) => control("PATCH", `/tokens/${encodeURIComponent(value)}`, body),
  /** A Cloudflare Access JWT as Access would send it (simulator/access.ts). */
  accessToken: (body: {
    team: string;
    aud: string;
    email: string;
    expiresIn?: number;
    foreignKey?: boolean;
  }) => control<{ token: string }>("POST", "/access/token", body).then((r) => r.token),
  fault: (match: Record<string, unknown>, fault: Record<string, unknown>, times?: number) =>
    control<{ id: string }>("POST", "/faults", { match, fault, times }).then((r) => r.id),
  clearFaults: (query: { accountId?: string; token?: string }) =>
    control("DELETE", `/faults?${new URLSearchParams(query as Record<string, string>)}`),
  requests: (query: { accountId?: string; token?: string }) =>
    control<{ requests: { method: string; path: string; query: string; status: number; at: string }[] }>(
      "GET",
      `/requests?${new URLSearchParams(query as Record<string, string>)}`,
    ).then((r) => r.requests),
};

let counter = 0;
/** A unique name so test files sharing one simulator never collide. */
export const uniqueName = (prefix: string) =>
  `${prefix} ${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A realistic raw Cloudflare member. */
export function rawMember(n: number, overrides: RawMember = {}): RawMember {
  const id = n.toString(16).padStart(32, "0");
  const email = `person${n}@example.com`;
  return {
    id,
    email,
    status: "accepted",
    user: {
      id: `u${id.slice(1)}`,
      email,
      first_name: `First${n}`,
      last_name: `Last${n}`,
      two_factor_authentication_enabled: n % 2 === 0,
    },
    roles: [{ id: "r-admin", name: "Administrator", description: "Admin", permissions: {} }],
    policies: [],
    ...overrides,
  };
}

/** An account in the simulator plus a user token that can read it. */
export async function setupAccount(
  options: {
    members?: RawMember[];
    generateMembers?: number;
    name?: string;
    enforceTwoFactor?: boolean;
  } = {},
) {
  const name = options.name ?? uniqueName("Acme");
  const accountId = await sim.createAccount({
    name,
    members: options.members,
    generateMembers: options.generateMembers,
    enforceTwoFactor: options.enforceTwoFactor,
  });
  const token = await sim.createToken({ kind: "user", accountIds: [accountId] });
  return { accountId, name, token };
}
