// Unit tests of the credential vault (docs/security.md): AES-256-GCM with a fresh IV per seal and AAD that
// binds each ciphertext to its integration id and key id; the ENCRYPTION_KEYS parser.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../../src/lib/base64";
import { credentialKey, getCredential, putCredential, rotateCredential } from "../../src/vault/credentials";
import { open, type SealedRecord, seal } from "../../src/vault/envelope";
import { type Keyring, loadKeyring, parseKeyringSetting } from "../../src/vault/keyring";

const TOKEN = "cfut_vaultTestToken0123456789abcdefghijklmnopq";

function randomKey(id: string): string {
  return `${id}:${encodeBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

async function keyring(setting: string): Promise<Keyring> {
  const loaded = await loadKeyring(setting);
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.value;
}

function flipByte(b64: string, index: number): string {
  const bytes = decodeBase64(b64)!;
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = bytes[at]! ^ 0x01;
  return encodeBase64(bytes);
}

async function expectOpenFails(ring: Keyring, integrationId: string, record: unknown) {
  const opened = await open(ring, integrationId, record);
  expect(opened.ok).toBe(false);
  if (opened.ok) return null;
  expect(opened.error.message).not.toContain(TOKEN);
  return opened.error;
}

describe("seal and open", () => {
  it("round-trips a token for its integration", async () => {
    const ring = await keyring(randomKey("k1"));
    const record = await seal(ring, "integration-a", TOKEN);
    expect(await open(ring, "integration-a", record)).toEqual({ ok: true, value: TOKEN });
  });

  it("round-trips unicode and long values", async () => {
    const ring = await keyring(randomKey("k1"));
    for (const value of ["ü-token-✓", "x".repeat(4000), ""]) {
      const record = await seal(ring, "i", value);
      expect(await open(ring, "i", record)).toEqual({ ok: true, value });
    }
  });

  it("keeps no plaintext in the sealed record and uses a 96-bit IV", async () => {
    const ring = await keyring(randomKey("k1"));
    const record = await seal(ring, "integration-a", TOKEN);
    expect(JSON.stringify(record)).not.toContain(TOKEN);
    expect(JSON.stringify(record)).not.toContain(TOKEN.slice(5, 20));
    expect(decodeBase64(record.iv)!.length).toBe(12);
    expect(Object.keys(record).sort()).toEqual(["ct", "iv", "kid", "v"]);
  });

  it("gives a different IV and ciphertext each time the same token is sealed", async () => {
    const ring = await keyring(randomKey("k1"));
    const records = await Promise.all(Array.from({ length: 20 }, () => seal(ring, "integration-a", TOKEN)));
    expect(new Set(records.map((r) => r.iv)).size).toBe(20);
    expect(new Set(records.map((r) => r.ct)).size).toBe(20);
  });

  it("seals with the first key of the keyring and opens with any of them", async () => {
    const k1 = randomKey("k1");
    const k2 = randomKey("k2");
    const old = await keyring(k1);
    const underOld = await seal(old, "i", TOKEN);
    expect(underOld.kid).toBe("k1");
    const both = await keyring(`${k2},${k1}`);
    const underNew = await seal(both, "i", TOKEN);
    expect(underNew.kid).toBe("k2");
    expect(await open(both, "i", underOld)).toEqual({ ok: true, value: TOKEN });
    expect(await open(both, "i", underNew)).toEqual({ ok: true, value: TOKEN });
  });
});

describe("what must fail to open", () => {
  it("a ciphertext copied to another integration", async () => {
    const ring = await keyring(randomKey("k1"));
    const record = await seal(ring, "integration-a", TOKEN);
    const error = await expectOpenFails(ring, "integration-b", record);
    expect(error!.kind).toBe("authentication_failed");
  });

  it("a ciphertext with one byte flipped, anywhere", async () => {
    const ring = await keyring(randomKey("k1"));
    const record = await seal(ring, "i", TOKEN);
    for (const index of [0, 10, -1, -16]) {
      const error = await expectOpenFails(ring, "i", { ...record, ct: flipByte(record.ct, index) });
      expect(error!.kind).toBe("authentication_failed");
    }
  });

  it("a record whose IV was changed", async () => {
    const ring = await keyring(randomKey("k1"));
    const record = await seal(ring, "i", TOKEN);
    const error = await expectOpenFails(ring, "i", { ...record, iv: flipByte(record.iv, 0) });
    expect(error!.kind).toBe("authentication_failed");
  });

  it("a record relabelled with another key id, even when both ids hold the same key bytes", async () => {
    const material = encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
    const ring = await keyring(`a:${material},b:${material}`);
    const record = await seal(ring, "i", TOKEN);
    expect(record.kid).toBe("a");
    // Same bytes: only the key id in the AAD can tell them apart.
    const error = await expectOpenFails(ring, "i", { ...record, kid: "b" });
    expect(error!.kind).toBe("authentication_failed");
    const distinct = await keyring(`${randomKey("k1")},${randomKey("k2")}`);
    const other = await seal(distinct, "i", TOKEN);
    expect((await expectOpenFails(distinct, "i", { ...other, kid: "k2" }))!.kind).toBe(
      "authentication_failed",
    );
  });

  it("a record sealed with a key that is no longer configured, naming that key", async () => {
    const sealedUnder = await keyring(randomKey("retired-2024"));
    const record = await seal(sealedUnder, "i", TOKEN);
    const current = await keyring(randomKey("k9"));
    const error = await expectOpenFails(current, "i", record);
    expect(error!.kind).toBe("unknown_key");
    expect(error!.message).toContain("retired-2024");
    expect(error!.message).toContain("ENCRYPTION_KEYS");
  });

  it("the right key id with different key bytes", async () => {
    const record = await seal(await keyring(randomKey("k1")), "i", TOKEN);
    const error = await expectOpenFails(await keyring(randomKey("k1")), "i", record);
    expect(error!.kind).toBe("authentication_failed");
  });

  it("a truncated ciphertext", async () => {
    const ring = await keyring(randomKey("k1"));
    const record = await seal(ring, "i", TOKEN);
    const bytes = decodeBase64(record.ct)!;
    for (const keep of [bytes.length - 1, bytes.length - 16, 15, 0]) {
      const truncated = { ...record, ct: encodeBase64(bytes.slice(0, keep)) };
      await expectOpenFails(ring, "i", truncated);
    }
  });

  it("records that are not sealed records at all", async () => {
    const ring = await keyring(randomKey("k1"));
    const good = await seal(ring, "i", TOKEN);
    const bad: unknown[] = [
      null,
      "string",
      42,
      {},
      { ...good, v: 2 },
      { ...good, kid: 1 },
      { ...good, iv: "not base64!" },
      { ...good, iv: encodeBase64(new Uint8Array(16)) },
      { ...good, ct: undefined },
    ];
    for (const record of bad) {
      const error = await expectOpenFails(ring, "i", record);
      expect(error!.kind).toBe("malformed");
    }
  });
});

describe("the KV credential store", () => {
  it("stores the sealed record under credential:<id>, never the token", async () => {
    const ring = await keyring(randomKey("k1"));
    const id = crypto.randomUUID();
    await putCredential(env.CREDENTIALS, ring, id, TOKEN);
    const raw = await env.CREDENTIALS.get(credentialKey(id));
    expect(credentialKey(id)).toBe(`credential:${id}`);
    expect(raw).not.toBeNull();
    expect(raw).not.toContain(TOKEN);
    expect(await getCredential(env.CREDENTIALS, ring, id)).toEqual({ ok: true, value: TOKEN });
  });

  it("reports a missing or corrupt credential as an error value", async () => {
    const ring = await keyring(randomKey("k1"));
    const missing = await getCredential(env.CREDENTIALS, ring, crypto.randomUUID());
    expect(missing.ok).toBe(false);
    const id = crypto.randomUUID();
    await env.CREDENTIALS.put(credentialKey(id), "{not json");
    const corrupt = await getCredential(env.CREDENTIALS, ring, id);
    expect(corrupt.ok).toBe(false);
  });

  it("rotation re-seals under the first key with a new IV, and is a no-op the second time", async () => {
    const k1 = randomKey("k1");
    const k2 = randomKey("k2");
    const id = crypto.randomUUID();
    const before = await putCredential(env.CREDENTIALS, await keyring(k1), id, TOKEN);
    const ring = await keyring(`${k2},${k1}`);
    expect(await rotateCredential(env.CREDENTIALS, ring, id)).toEqual({
      ok: true,
      value: { outcome: "rotated", kid: "k2" },
    });
    const after = JSON.parse((await env.CREDENTIALS.get(credentialKey(id)))!) as SealedRecord;
    expect(after.kid).toBe("k2");
    expect(after.iv).not.toBe(before.iv);
    expect(await rotateCredential(env.CREDENTIALS, ring, id)).toEqual({
      ok: true,
      value: { outcome: "already_current", kid: "k2" },
    });
    // Only the new key is needed now.
    expect(await getCredential(env.CREDENTIALS, await keyring(k2), id)).toEqual({ ok: true, value: TOKEN });
  });

  it("rotation of a record it cannot open fails with a message, and leaves the record as it was", async () => {
    const id = crypto.randomUUID();
    await putCredential(env.CREDENTIALS, await keyring(randomKey("gone")), id, TOKEN);
    const raw = await env.CREDENTIALS.get(credentialKey(id));
    const outcome = await rotateCredential(env.CREDENTIALS, await keyring(randomKey("k2")), id);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.error.message).toContain("gone");
    expect(await env.CREDENTIALS.get(credentialKey(id))).toBe(raw);
  });
});

describe("parseKeyringSetting (ENCRYPTION_KEYS)", () => {
  const key32 = encodeBase64(new Uint8Array(32).fill(1));

  function refused(setting: string | undefined): string {
    const parsed = parseKeyringSetting(setting);
    expect(parsed.ok, String(setting)).toBe(false);
    return parsed.ok ? "" : parsed.error;
  }

  it("accepts one or several keys, in order, tolerating spaces around entries", () => {
    const parsed = parseKeyringSetting(`k2:${key32}, k1:${key32} `);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.map((k) => k.id)).toEqual(["k2", "k1"]);
  });

  it("refuses an empty or missing setting", () => {
    for (const setting of [undefined, "", "   "])
      expect(refused(setting)).toMatch(/ENCRYPTION_KEYS is not set/);
  });

  it("refuses a key of the wrong length, naming the key and the sizes", () => {
    for (const size of [16, 31, 33, 64]) {
      const message = refused(`k1:${key32},short:${encodeBase64(new Uint8Array(size))}`);
      expect(message).toContain("short");
      expect(message).toContain(String(size));
      expect(message).toContain("32");
    }
  });

  it("refuses the same key id twice, naming it", () => {
    const message = refused(`dup:${key32},other:${key32},dup:${key32}`);
    expect(message).toContain("dup");
    expect(message).toMatch(/twice/);
  });

  it("refuses bad base64, naming the key, without echoing the material", () => {
    for (const material of ["!!!notbase64!!!", `${key32.slice(0, -3)}*==`, "A", "AAAA=A=="]) {
      const message = refused(`k1:${key32},broken:${material}`);
      expect(message).toContain("broken");
      expect(message).toMatch(/base64/);
      expect(message).not.toContain(material);
    }
  });

  it("refuses an entry without an id, or with an unusable id, naming its position", () => {
    expect(refused(key32)).toMatch(/entry 1.*id:base64key/);
    expect(refused(`k1:${key32},${key32}`)).toMatch(/entry 2/);
    expect(refused(`:${key32}`)).toMatch(/key id/);
    expect(refused(`has space:${key32}`)).toMatch(/key id/);
    expect(refused(`${"x".repeat(33)}:${key32}`)).toMatch(/key id/);
  });

  it("refuses an empty entry between commas", () => {
    expect(refused(`k1:${key32},,k2:${key32}`)).toMatch(/entry 2/);
  });
});
