import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { MemberDiff, StoredAccount } from "../../src/domain/diff";
import { MEMBER_SHAPE, type Member } from "../../src/domain/member";
import { diffMembers, MemberDiffer } from "../../src/sync/diff";

/** True when the diff writes nothing. */
const isEmptyDiff = (d: MemberDiff) =>
  d.added.length === 0 && d.restored.length === 0 && d.updated.length === 0 && d.removed.length === 0;

/** What storing the diff does to the stored list: the law the sync's batch must follow. */
function applyDiff(stored: readonly StoredAccount[], diff: MemberDiff, removedAt: string): StoredAccount[] {
  const next = new Map(stored.map((s) => [s.id, { ...s }]));
  const current = { removedAt: null, shape: MEMBER_SHAPE };
  for (const m of diff.added) next.set(m.id, { ...m, ...current });
  for (const { member } of diff.restored) next.set(member.id, { ...member, ...current });
  for (const { member } of diff.updated) next.set(member.id, { ...member, ...current });
  for (const member of diff.reformatted) next.set(member.id, { ...member, ...current });
  for (const r of diff.removed) next.set(r.id, { ...r, removedAt });
  return [...next.values()];
}

const memberArb = (id: string): fc.Arbitrary<Member> =>
  fc.record({
    id: fc.constant(id),
    userId: fc.option(
      fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }),
      { nil: null },
    ),
    email: fc.option(fc.emailAddress(), { nil: null }),
    firstName: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    lastName: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
    status: fc.constantFrom("accepted", "pending", "rejected", "unknown"),
    roles: fc.array(
      fc.record({ id: fc.constantFrom("r1", "r2", "r3"), name: fc.constantFrom("Admin", "Billing") }),
      {
        maxLength: 2,
      },
    ),
    policies: fc.array(
      fc.record({
        access: fc.constantFrom("allow" as const, "deny" as const),
        permission_groups: fc.array(
          fc.record({ id: fc.constantFrom("g1", "g2"), name: fc.constantFrom("DNS", null) }),
          {
            maxLength: 2,
          },
        ),
        resource_groups: fc.constant([]),
      }),
      { maxLength: 2 },
    ),
    twoFactorEnabled: fc.option(fc.boolean(), { nil: null }),
    apiAccessEnabled: fc.option(fc.boolean(), { nil: null }),
  });

const IDS = Array.from({ length: 12 }, (_, i) => `m${i}`);

/** A list of members with unique ids drawn from a small pool, so old and new lists overlap. */
const listArb = fc
  .subarray(IDS)
  .chain((ids) => (ids.length === 0 ? fc.constant([] as Member[]) : fc.tuple(...ids.map(memberArb))));

const storedArb = fc
  .tuple(listArb, fc.array(fc.boolean(), { minLength: IDS.length, maxLength: IDS.length }))
  .map(([members, removedFlags]) =>
    members.map(
      (m, i): StoredAccount => ({
        ...m,
        removedAt: removedFlags[i] ? "2026-01-01T00:00:00.000Z" : null,
        shape: MEMBER_SHAPE,
      }),
    ),
  );

const current = (list: StoredAccount[]) =>
  list
    .filter((s) => s.removedAt === null)
    .map(({ removedAt: _removed, shape: _shape, ...m }) => m)
    .sort((a, b) => a.id.localeCompare(b.id));

const byId = (list: Member[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));

describe("the pure member diff", () => {
  it("applying the diff to the old list always yields the new list", () => {
    fc.assert(
      fc.property(storedArb, listArb, (stored, fetched) => {
        const diff = diffMembers(stored, fetched);
        const next = applyDiff(stored, diff, "2026-11-29T00:00:00.000Z");
        expect(current(next)).toEqual(byId(fetched));
        // Nobody disappears from history: every stored row is still there.
        expect(new Set(next.map((s) => s.id))).toEqual(new Set([...stored, ...fetched].map((s) => s.id)));
      }),
      { numRuns: 500 },
    );
  });

  it("a list diffed against itself is empty", () => {
    fc.assert(
      fc.property(listArb, (list) => {
        const stored = list.map((m) => ({ ...m, removedAt: null, shape: MEMBER_SHAPE }));
        const diff = diffMembers(stored, list);
        expect(isEmptyDiff(diff)).toBe(true);
        expect(diff.unchanged).toBe(list.length);
      }),
      { numRuns: 500 },
    );
  });

  it("finds the same changes whether stored JSON text is compared or the decoded values", () => {
    // Rows from D1 carry their roles/policies JSON text; the diff compares text first and falls
    // back to the values when the text differs (also when it differs only in spelling).
    const spellings = [(v: unknown) => JSON.stringify(v), (v: unknown) => JSON.stringify(v, null, 1)];
    fc.assert(
      fc.property(storedArb, listArb, fc.constantFrom(0, 1), (stored, fetched, spelling) => {
        const withText = stored.map((s) => ({
          ...s,
          storedJson: { roles: spellings[spelling]!(s.roles), policies: spellings[spelling]!(s.policies) },
        }));
        const diff = diffMembers(withText, fetched);
        const removed = diff.removed.map(({ storedJson: _text, ...r }) => r);
        expect({ ...diff, removed }).toEqual(diffMembers(stored, fetched));
      }),
      { numRuns: 500 },
    );
  });

  it("gives the same diff when the stored rows arrive in pages, in any order", () => {
    // A sync reads stored rows one primary-key page at a time (forEachStoredPage).
    fc.assert(
      fc.property(
        storedArb.chain((stored) =>
          fc.tuple(fc.constant(stored), fc.shuffledSubarray(stored, { minLength: stored.length })),
        ),
        listArb,
        fc.integer({ min: 1, max: 5 }),
        ([stored, shuffled], fetched, pageSize) => {
          const differ = new MemberDiffer(fetched);
          for (let i = 0; i < shuffled.length; i += pageSize) differ.add(shuffled.slice(i, i + pageSize));
          const paged = differ.finish();
          const whole = diffMembers(stored, fetched);
          const byStoredId = (list: StoredAccount[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
          expect({ ...paged, removed: byStoredId(paged.removed) }).toEqual({
            ...whole,
            removed: byStoredId(whole.removed),
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("counts add up to what was listed", () => {
    fc.assert(
      fc.property(storedArb, listArb, (stored, fetched) => {
        const d = diffMembers(stored, fetched);
        expect(d.added.length + d.restored.length + d.updated.length + d.unchanged).toBe(fetched.length);
      }),
      { numRuns: 300 },
    );
  });

  it("long-removed members who stay away produce no change", () => {
    const gone: StoredAccount = {
      id: "x",
      userId: null,
      email: "x@example.com",
      firstName: null,
      lastName: null,
      status: "accepted",
      roles: [],
      policies: [],
      twoFactorEnabled: null,
      apiAccessEnabled: null,
      removedAt: "2026-01-01T00:00:00.000Z",
      shape: MEMBER_SHAPE,
    };
    expect(isEmptyDiff(diffMembers([gone], []))).toBe(true);
  });
});
