/**
 * Property-based fuzzing of the HTTP API. Every route /openapi.json lists gets generated bodies,
 * query strings, path ids, headers, encodings and methods: wrong types, huge strings, Unicode,
 * NUL bytes, SQL and path-traversal fragments, duplicate JSON keys, deep nesting, wrong content
 * types, invalid UTF-8, odd methods, missing and malformed tokens. Whatever arrives:
 *   - the answer is never a 5xx (the simulator is healthy and the configuration valid, so a 502
 *     or 503 is a failure too),
 *   - every error is exactly `{error:{code,message,details}}` with a known code and its status,
 *   - no secret appears in any answer,
 *   - a refused request (or any read) stores nothing: D1 rows and KV entries are unchanged.
 *
 * The number of generated cases comes from VITE_FUZZ_RUNS (`npm run fuzz` sets 5000); the
 * default keeps `npm test` fast. A failing run prints its fast-check seed and counterexample.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCUMENTED_ROUTES } from "../support/routes";
import { setupAccount, sim, uniqueName } from "../support/simulator";
import { connectAndSync } from "../support/sync";
import {
  ACCEPTS,
  AUTH_HEADERS,
  type AuthKind,
  BAD_ESCAPES,
  type Body,
  bytesOf,
  CONTENT_TYPES,
  duplicateKeys,
  encode,
  exercise,
  INVALID_UTF8,
  loadOperations,
  NASTY_STRINGS,
  nestedArrays,
  nestedObjects,
  ODD_METHODS,
  type Operation,
  type Pools,
  refreshPools,
  type Snapshot,
  type Spec,
  snapshot,
  statusTally,
  wellFormed,
} from "./fuzz-support";

// ---------------------------------------------------------------- how many cases

const viteEnv: Record<string, string | undefined> = (import.meta as any).env ?? {};
const DEFAULT_TOTAL = 600;
const requested = Number(viteEnv.VITE_FUZZ_RUNS ?? viteEnv.FUZZ_RUNS);
const TOTAL = Number.isInteger(requested) && requested > 0 ? requested : DEFAULT_TOTAL;

const OPERATIONS = await loadOperations();

// ---------------------------------------------------------------- shared state

const state: { baseline: Snapshot; pools: Pools; extraSecrets: string[] } = {
  baseline: undefined as unknown as Snapshot,
  pools: { integrationIds: [], syncIds: [], cursors: [] },
  extraSecrets: [],
};
let cases = 0;

interface Fixture {
  name: string;
  accountId: string;
  other: { name: string; accountId: string };
  tokens: Record<"good" | "disabled" | "expired" | "noPermission" | "accountOwned" | "otherAccount", string>;
}
let fixture: Fixture;

const roomy = { limit: 1_000_000, windowSeconds: 300 };

beforeAll(async () => {
  const account = await setupAccount({ generateMembers: 3 });
  const other = await setupAccount({ generateMembers: 1 });
  const token = (body: Parameters<typeof sim.createToken>[0]) =>
    sim.createToken({ rateLimit: roomy, ...body });
  const ids = [account.accountId];
  fixture = {
    name: account.name,
    accountId: account.accountId,
    other: { name: other.name, accountId: other.accountId },
    tokens: {
      good: await token({ kind: "user", accountIds: ids }),
      disabled: await token({ kind: "user", accountIds: ids, status: "disabled" }),
      expired: await token({ kind: "user", accountIds: ids, status: "expired" }),
      noPermission: await token({
        kind: "user",
        accountIds: ids,
        permissions: { accountSettingsRead: false },
      }),
      accountOwned: await token({ kind: "account", accountIds: ids }),
      otherAccount: other.token,
    },
  };
  state.extraSecrets = [account.token, ...Object.values(fixture.tokens)];
  await connectAndSync({ name: account.name, token: fixture.tokens.good }, "Fuzz baseline");
  await refreshPools(state.pools);
  state.baseline = await snapshot();
});

afterAll(() => {
  const statuses = [...statusTally.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(`fuzz: ${cases} cases (${statuses.join(" ")})`);
});

/** Keeps at least one real integration around: a successful DELETE may have removed them all. */
async function ensureIntegration(): Promise<void> {
  if (state.pools.integrationIds.length > 0) return;
  await connectAndSync({ name: fixture.name, token: fixture.tokens.good }, uniqueName("Fuzz"));
  await refreshPools(state.pools);
  state.baseline = await snapshot();
}

async function run(spec: Spec) {
  cases++;
  return exercise(spec, state);
}

// ---------------------------------------------------------------- recipes → requests

type PathValue = { real: number } | { unknown: true } | { text: string; mode: "encoded" | "raw" | "double" };

function pathValue(param: string, value: PathValue): string {
  if ("real" in value) {
    const pool = param === "syncId" ? state.pools.syncIds : state.pools.integrationIds;
    return pool.length > 0 ? pool[value.real % pool.length]! : "none";
  }
  if ("unknown" in value) return "6f1d2c3b-0000-4000-8000-00000000dead";
  if (value.mode === "raw") return value.text;
  if (value.mode === "double") return encodeURIComponent(encode(value.text));
  return encode(value.text);
}

function buildPath(op: Operation, values: PathValue[]): string {
  let i = 0;
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathValue(name, values[i++] ?? { real: 0 }));
}

interface QueryPair {
  key: string;
  value: string;
  raw: boolean;
}

function buildQuery(pairs: QueryPair[], suffix: string): string {
  const parts = pairs.map((p) => (p.raw ? `${p.key}=${p.value}` : `${encode(p.key)}=${encode(p.value)}`));
  const query = parts.join("&") + suffix;
  return query === "" ? "" : `?${query}`;
}

// ---------------------------------------------------------------- arbitraries

const nasty = fc.constantFrom(...NASTY_STRINGS);
const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 80_000 }), fc.constantFrom("A", "é", "😀", "\u0000", "'"))
  .map(([n, c]) => c.repeat(n));
const text = fc.oneof(
  { weight: 4, arbitrary: nasty },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme-composite", maxLength: 20 }) },
  { weight: 1, arbitrary: hugeString },
);
const wrongType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

/** Usually absent: a value that makes almost every request fail validation. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });

const pathValueArb: fc.Arbitrary<PathValue> = fc.oneof(
  { weight: 5, arbitrary: fc.nat().map((real) => ({ real })) },
  { weight: 1, arbitrary: fc.constant({ unknown: true as const }) },
  {
    weight: 4,
    arbitrary: fc.record({
      text,
      mode: fc.constantFrom("encoded" as const, "raw" as const, "double" as const),
    }),
  },
);

const authArb: fc.Arbitrary<AuthKind> = fc.oneof(
  { weight: 14, arbitrary: fc.constant("admin" as const) },
  { weight: 3, arbitrary: fc.constant("read" as const) },
  { weight: 1, arbitrary: fc.constant("none" as const) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...(Object.keys(AUTH_HEADERS) as (keyof typeof AUTH_HEADERS)[])),
  },
);

const headersArb = fc.record(
  {
    "Content-Type": fc.oneof(
      { weight: 6, arbitrary: fc.constant("application/json") },
      { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    ),
    Accept: fc.constantFrom(...ACCEPTS),
    "X-HTTP-Method-Override": fc.constantFrom("DELETE", "PATCH", "PUT"),
    "Content-Encoding": fc.constantFrom("gzip", "br", "identity"),
    "Content-Length": fc.constantFrom("0", "99999999", "-1", "abc"),
  },
  { requiredKeys: [] },
);

/** Real values worth trying per body field (a real token only as apiToken: echoing a label is no leak). */
type FieldExtras = Record<string, unknown[]>;

function bodyObjectArb(op: Operation, extras: FieldExtras): fc.Arbitrary<[string, unknown][]> {
  const fields = op.body ?? [{ name: "label", plausible: ["x"] }];
  return fc
    .tuple(
      ...fields.map((f) => {
        // A field with no plausible value in the document (an array such as the roster's `people`)
        // gets only text and wrong types.
        const known = [...f.plausible, ...(extras[f.name] ?? [])];
        return fc.option(
          fc.tuple(
            fc.constant(f.name),
            fc.oneof(
              ...(known.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...known) }] : []),
              { weight: 3, arbitrary: text },
              { weight: 2, arbitrary: wrongType },
            ),
          ),
          { freq: 6, nil: null },
        );
      }),
      rarely(
        fc.tuple(fc.constantFrom("apiKey", "__proto__", "constructor", "id", "LABEL", ""), fc.jsonValue()),
      ),
    )
    .map((parts) => parts.filter((p): p is [string, unknown] => p !== null));
}

function bodyArb(op: Operation, extras: FieldExtras): fc.Arbitrary<Body> {
  const object = bodyObjectArb(op, extras);
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    {
      weight: 8,
      arbitrary: object.map((entries) => ({ text: JSON.stringify(Object.fromEntries(entries)) })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(object, fc.constantFrom(...(op.body ?? [{ name: "label" }]).map((f) => f.name)), fc.anything())
        .map(([entries, key, value]) => ({ text: duplicateKeys(entries, [key, value]) })),
    },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => ({ text: JSON.stringify(v) ?? "null" })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 1, max: 30_000 }), fc.boolean())
        .map(([depth, arrays]) => ({ text: arrays ? nestedArrays(depth) : nestedObjects(depth) })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(object, fc.constantFrom(...INVALID_UTF8), fc.nat()).map(([entries, bad, at]) => {
        const bytes = bytesOf(JSON.stringify(Object.fromEntries(entries)));
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        return { bytes: [...bytes.slice(0, i), ...bad, ...bytes.slice(i)] };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 64 * 1024 - 20, max: 64 * 1024 + 20 })
        .map((n) => ({ text: JSON.stringify({ label: "x".repeat(Math.max(0, n - 12)) }) })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Body>(
        { text: "" },
        { text: "   \n" },
        { text: '{"label":"a\u0000b"}' },
        { bytes: [0x7b, 0x22, 0x6c, 0x22, 0x3a, 0x22, 0x00, 0x22, 0x7d] },
        { text: '\uFEFF{"label":"x"}' },
        { text: '{"label":"x"' },
        { text: "label=x&apiToken=y" },
        { text: '{"label":"\\ud800"}' },
        { text: '{"__proto__":{"enabled":false},"enabled":true}' },
        { text: "[1,2" },
        { text: "1e999" },
        { text: '"just a string"' },
      ),
    },
  );
}

function queryArb(op: Operation, allParams: string[]): fc.Arbitrary<{ pairs: QueryPair[]; suffix: string }> {
  const own = op.query.map((q) => q.name);
  const keyArb = fc.oneof(
    { weight: 6, arbitrary: own.length > 0 ? fc.constantFrom(...own) : fc.constantFrom(...allParams) },
    { weight: 2, arbitrary: fc.constantFrom(...allParams) },
    { weight: 1, arbitrary: text },
  );
  const plausible = [...new Set(op.query.flatMap((q) => q.plausible))];
  const valueArb = fc.oneof(
    { weight: 3, arbitrary: plausible.length > 0 ? fc.constantFrom(...plausible) : nasty },
    {
      weight: 1,
      arbitrary: fc
        .nat()
        .map((i) => state.pools.cursors[i % Math.max(1, state.pools.cursors.length)] ?? "x.y"),
    },
    {
      weight: 1,
      arbitrary: fc
        .nat()
        .map((i) => state.pools.integrationIds[i % Math.max(1, state.pools.integrationIds.length)] ?? "x"),
    },
    { weight: 4, arbitrary: text },
  );
  return fc.record({
    pairs: fc.array(fc.record({ key: keyArb, value: valueArb, raw: fc.boolean() }), { maxLength: 6 }),
    suffix: fc.oneof(
      { weight: 4, arbitrary: fc.constant("") },
      { weight: 1, arbitrary: fc.constantFrom(...BAD_ESCAPES).map((e) => `&q=${e}`) },
      { weight: 1, arbitrary: fc.constantFrom(...BAD_ESCAPES).map((e) => `&${e}=1`) },
      { weight: 1, arbitrary: fc.constantFrom("&", "&&&", "&=", "&limit", "&limit=1&limit=2", "#frag") },
    ),
  });
}

// ---------------------------------------------------------------- properties

const fixedRuns = OPERATIONS.reduce((n, op) => n + hostileClasses(op).length, 0);
const randomRuns = Math.max(100, TOTAL - fixedRuns);
const anyRouteRuns = Math.round(randomRuns * 0.7);
const connectRuns = randomRuns - anyRouteRuns;

describe("HTTP API fuzzing", () => {
  it("lists every route in /openapi.json, so new routes are fuzzed too", () => {
    const listed = OPERATIONS.map((o) => `${o.method} ${o.path}`);
    for (const route of DOCUMENTED_ROUTES) {
      expect(listed).toContain(route);
    }
  });

  it.each(OPERATIONS.map((op) => [`${op.method} ${op.path}`, op] as const))(
    "%s answers every class of hostile input without a server error, in the error shape, storing nothing refused",
    async (_name, op) => {
      // Every class runs even after one fails, so the report lists them all.
      const failures: string[] = [];
      await ensureIntegration();
      for (const spec of hostileClasses(op)) {
        try {
          await run(spec());
        } catch (e) {
          failures.push(wellFormed(e instanceof Error ? e.message : String(e)).slice(0, 1500));
        }
        await ensureIntegration();
      }
      expect(failures).toEqual([]);
    },
  );

  it("any generated request to any route: no 5xx, the documented error shape, nothing stored when refused", async () => {
    const allParams = [...new Set(OPERATIONS.flatMap((o) => o.query.map((q) => q.name)))];
    const tokenValues = () => Object.values(fixture.tokens);
    const recipe = fc.constantFrom(...OPERATIONS).chain((op) =>
      fc.record({
        op: fc.constant(op),
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(op.method) },
          { weight: 2, arbitrary: fc.constantFrom(...ODD_METHODS) },
        ),
        path: fc.array(pathValueArb, { minLength: op.pathParams.length, maxLength: op.pathParams.length }),
        query: queryArb(op, allParams),
        auth: authArb,
        headers: headersArb,
        body: bodyArb(op, {
          apiToken: tokenValues(),
          organizationName: [fixture.name, fixture.other.name],
          accountId: [fixture.accountId, fixture.other.accountId],
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(recipe, async (r) => {
        await ensureIntegration();
        await run({
          method: r.method,
          url: buildPath(r.op, r.path) + buildQuery(r.query.pairs, r.query.suffix),
          auth: r.auth,
          headers: r.headers,
          body: r.body,
        });
      }),
      { numRuns: anyRouteRuns },
    );
  });

  it("a refused connect (POST /v1/integrations) never stores an integration, a credential or a run", async () => {
    const t = fixture.tokens;
    const wellFormedToken = fc
      .string({
        unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789"),
        minLength: 40,
        maxLength: 40,
      })
      .map((s) => `cfut_${s}`);
    // Mostly plausible, so most requests get as far as the checks against Cloudflare.
    const fieldValue = <T>(plausible: fc.Arbitrary<T>) =>
      fc.oneof(
        { weight: 14, arbitrary: plausible },
        { weight: 1, arbitrary: text },
        { weight: 1, arbitrary: wrongType },
      );
    const recipe = fc.record({
      label: fieldValue(
        fc.oneof(
          fc.constantFrom("Fuzz baseline", " FUZZ BASELINE ", "Production"),
          fc.string({ minLength: 1, maxLength: 30 }),
        ),
      ),
      organizationName: fieldValue(
        fc.constantFrom(
          fixture.name,
          fixture.name.toUpperCase(),
          ` ${fixture.name} `,
          fixture.name.slice(0, -1),
          fixture.other.name,
          "No such organization",
        ),
      ),
      apiToken: fieldValue(fc.oneof(fc.constantFrom(...Object.values(t)), wellFormedToken)),
      accountId: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        {
          weight: 2,
          arbitrary: fieldValue(
            fc.constantFrom(
              fixture.accountId,
              fixture.other.accountId,
              "0".repeat(32),
              fixture.accountId.toUpperCase(),
            ),
          ),
        },
      ),
      unknownKey: rarely(
        fc.tuple(fc.constantFrom("apiKey", "token", "enabled", "__proto__"), fc.jsonValue()),
      ),
      drop: rarely(fc.subarray(["label", "organizationName", "apiToken"], { minLength: 1 })).map(
        (d) => d ?? [],
      ),
      encoding: fc.oneof(
        { weight: 12, arbitrary: fc.constant("json") },
        {
          weight: 3,
          arbitrary: fc.constantFrom("duplicate-broken-first", "duplicate-broken-last", "pretty"),
        },
      ),
      brokenValue: wrongType,
      contentType: fc.oneof(
        { weight: 12, arbitrary: fc.constant("application/json") },
        { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      auth: fc.oneof(
        { weight: 17, arbitrary: fc.constant("admin" as const) },
        { weight: 2, arbitrary: fc.constant("read" as const) },
        { weight: 1, arbitrary: fc.constant("none" as const) },
      ),
    });
    await fc.assert(
      fc.asyncProperty(recipe, async (r) => {
        const entries: [string, unknown][] = [];
        for (const key of ["label", "organizationName", "apiToken"] as const) {
          if (!r.drop.includes(key)) entries.push([key, r[key]]);
        }
        if (r.accountId !== undefined) entries.push(["accountId", r.accountId]);
        if (r.unknownKey) entries.push(r.unknownKey as [string, unknown]);
        let body: string;
        if (r.encoding === "duplicate-broken-first") {
          body = duplicateKeys([["label", r.brokenValue], ...entries], ["label", r.label]);
        } else if (r.encoding === "duplicate-broken-last") {
          body = duplicateKeys(entries, ["apiToken", r.brokenValue]);
        } else {
          body = JSON.stringify(Object.fromEntries(entries), null, r.encoding === "pretty" ? 2 : undefined);
        }
        const outcome = await run({
          method: "POST",
          url: "/v1/integrations",
          auth: r.auth,
          headers: { "Content-Type": r.contentType },
          body: { text: body },
        });
        expect([201, 400, 401, 403, 409, 413, 422, 429], outcome.text).toContain(outcome.status);
        if (outcome.status === 201) {
          // What was accepted is what is stored: the label as sent (trimmed), the canonical account.
          const sent = JSON.parse(body);
          expect(JSON.stringify(outcome.json.label)).toBe(JSON.stringify(String(sent.label).trim()));
          // The account the name names (case-insensitively), under its name as Cloudflare spells it.
          const named = [fixture, fixture.other].find(
            (a) => a.name.toLowerCase() === String(sent.organizationName).trim().toLowerCase(),
          );
          expect(named, outcome.text).toBeDefined();
          expect(outcome.json).toMatchObject({ organizationName: named!.name, accountId: named!.accountId });
        }
      }),
      { numRuns: connectRuns },
    );
  });
});

// ---------------------------------------------------------------- hand-written classes per route

/**
 * One request per class of hostile input for an operation (a real id in the path unless the
 * class is about the path), so every route meets every class whatever the random runs draw.
 */
function hostileClasses(op: Operation): (() => Spec)[] {
  const real: PathValue[] = op.pathParams.map(() => ({ real: 0 }));
  const path = (values: PathValue[] = real) => buildPath(op, values);
  const allPath = (v: PathValue) => path(op.pathParams.map(() => v));
  const queryAll = (value: string, raw = false) =>
    buildQuery(
      op.query.map((q) => ({ key: q.name, value, raw })),
      "",
    );
  const json = { "Content-Type": "application/json" };
  const fields = (op.body ?? [{ name: "label" }]).map((f) => f.name);
  const everyField = (value: unknown) => JSON.stringify(Object.fromEntries(fields.map((f) => [f, value])));
  const spec = (url: string, body: Body = null, extra: Partial<Spec> = {}): Spec => ({
    method: op.method,
    url,
    auth: "admin",
    headers: json,
    body,
    ...extra,
  });
  const withBody = op.method !== "GET" && op.method !== "HEAD";
  // Rotate odd methods and malformed tokens over the routes, so each meets several routes.
  const k = OPERATIONS.indexOf(op);
  const oddA = ODD_METHODS[(2 * k) % ODD_METHODS.length]!;
  const oddB = ODD_METHODS[(2 * k + 1) % ODD_METHODS.length]!;
  const badAuth = (["basic", "trailingJunk", "twoTokens", "huge", "lowercaseScheme", "prefixOnly"] as const)[
    k % 6
  ]!;
  const specs: (() => Spec)[] = [
    // SQL fragments
    () => spec(allPath({ text: "1' OR '1'='1", mode: "encoded" })),
    () => spec(path() + queryAll("' OR 1=1 --")),
    // path traversal, encoded, double-encoded and raw
    () => spec(allPath({ text: "../../admin/rotate-credentials", mode: "encoded" })),
    () => spec(allPath({ text: "..%2F..%2Fadmin", mode: "double" }) + queryAll("../../etc/passwd")),
    () => spec(allPath({ text: "../integrations", mode: "raw" })),
    // NUL bytes
    () => spec(allPath({ text: "a\u0000b", mode: "encoded" }) + queryAll("\u0000")),
    // huge strings
    () => spec(allPath({ text: "x".repeat(100_000), mode: "encoded" })),
    () => spec(path() + queryAll("y".repeat(100_000))),
    // duplicate query keys, valid and invalid in both orders
    () =>
      spec(
        path() +
          buildQuery(
            op.query.flatMap((q) => [
              { key: q.name, value: q.plausible[0] ?? "1", raw: false },
              { key: q.name, value: "\u0000bad", raw: false },
            ]),
            "&limit=1&limit=999999",
          ),
      ),
    // invalid percent-encoding in path and query
    () => spec(allPath({ text: "%E2%82", mode: "raw" }) + queryAll("%ED%A0%80", true)),
    () => spec(path() + queryAll("%zz", true)),
    // Unicode: emoji, RTL override, combining marks, BOM, non-characters
    () => spec(allPath({ text: "😀\u202E\uFEFF", mode: "encoded" }) + queryAll("e\u0301\u0301𝕏\uFFFF")),
    // odd methods (two per route, rotating so every method meets several routes)
    () => spec(path(), { text: "{}" }, { method: oddA }),
    () => spec(path(), null, { method: oddB }),
    // tokens: none, read-only, malformed
    () => spec(path(), null, { auth: "none" }),
    () => spec(path(), withBody ? { text: "{}" } : null, { auth: "read" }),
    () => spec(path(), null, { auth: badAuth }),
  ];
  if (withBody) {
    specs.push(
      // duplicate keys: valid value first then a wrong one, and the other way round
      () => spec(path(), { text: duplicateKeys([[fields[0]!, "Valid"]], [fields[0]!, 42]) }),
      () => spec(path(), { text: duplicateKeys([[fields[0]!, 42]], [fields[0]!, "Valid"]) }),
      // deep nesting, at the top and inside a field
      () => spec(path(), { text: nestedArrays(10_000) }),
      () => spec(path(), { text: nestedObjects(5_000, fields[0]) }),
      // invalid UTF-8 inside a string and outside
      () =>
        spec(path(), { bytes: [...bytesOf(`{"${fields[0]}":"`), 0xff, 0xfe, 0xc0, 0xaf, ...bytesOf('"}')] }),
      () => spec(path(), { bytes: [0xed, 0xa0, 0x80, ...bytesOf("{}")] }),
      // NUL: escaped inside a string (valid JSON) and raw (invalid JSON)
      () => spec(path(), { text: everyField("a\u0000b") }),
      () => spec(path(), { bytes: [...bytesOf(`{"${fields[0]}":"a`), 0x00, ...bytesOf('b"}')] }),
      // SQL and traversal in every field
      () => spec(path(), { text: everyField("'); DROP TABLE integrations; --") }),
      () => spec(path(), { text: everyField("../../../etc/passwd") }),
      // lone surrogate (legal in JSON text, not in UTF-8)
      () => spec(path(), { text: `{"${fields[0]}":"\\ud800x"}` }),
      // wrong types in every field
      () => spec(path(), { text: everyField(["array"]) }),
      () => spec(path(), { text: everyField({ nested: { deeper: true } }) }),
      // one byte over the 64 KiB limit, and a huge field under it
      () => spec(path(), { text: JSON.stringify({ [fields[0]!]: "z".repeat(64 * 1024) }) }),
      () => spec(path(), { text: everyField("w".repeat(10_000)) }),
      // no body but Content-Length: 0 (what curl -X POST -H 'Content-Length: 0' sends)
      () => spec(path(), null, { headers: { "Content-Length": "0" } }),
      () => spec(path(), null, { headers: { "Content-Length": "0", "Content-Type": "application/json" } }),
      // a present but empty body: with a JSON type, with no type, with another type
      () => spec(path(), { text: "" }),
      () => spec(path(), { text: "" }, { headers: {} }),
      () => spec(path(), { text: " " }, { headers: { "Content-Type": "text/plain" } }),
      // JSON content types with odd parameters
      () =>
        spec(path(), { text: everyField("x") }, { headers: { "Content-Type": "application/json; charset" } }),
      () => spec(path(), { text: everyField("x") }, { headers: { "Content-Type": "application/json;;" } }),
      // wrong content types with a JSON body, and a form body
      () => spec(path(), { text: everyField("x") }, { headers: { "Content-Type": "text/plain" } }),
      () =>
        spec(
          path(),
          { text: everyField("x") },
          { headers: { "Content-Type": "multipart/form-data; boundary=x" } },
        ),
      () =>
        spec(
          path(),
          { text: "label=x&enabled=true" },
          { headers: { "Content-Type": "application/x-www-form-urlencoded" } },
        ),
      () => spec(path(), { text: everyField("x") }, { headers: {} }),
    );
  }
  return specs;
}
