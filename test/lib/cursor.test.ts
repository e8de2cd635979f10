// Opaque cursors (docs/api.md#limits): a position round-trips only for the scope and key that
// sealed it, and the cursor shows nothing of it.
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "../../src/lib/base64";
import { decodeCursor, encodeCursor } from "../../src/lib/cursor";

const aesKey = () =>
  crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]) as Promise<CryptoKey>;

describe("cursors", async () => {
  const KEY = await aesKey();
  const OTHER = await aesKey();

  it("round-trips a position for the same key and scope", async () => {
    const cursor = await encodeCursor(KEY, "scope-a", ["jane@example.com", "id1", 3]);
    expect(await decodeCursor([KEY], "scope-a", cursor)).toEqual(["jane@example.com", "id1", 3]);
  });

  it("refuses a cursor from another scope or sealed with another key", async () => {
    const cursor = await encodeCursor(KEY, "scope-a", ["x"]);
    expect(await decodeCursor([KEY], "scope-b", cursor)).toBeNull();
    expect(await decodeCursor([OTHER], "scope-a", cursor)).toBeNull();
  });

  it("opens a cursor sealed with any key it is given, the current one first (rotation)", async () => {
    const old = await encodeCursor(OTHER, "s", ["before rotation"]);
    const fresh = await encodeCursor(KEY, "s", ["after rotation"]);
    expect(await decodeCursor([KEY, OTHER], "s", old)).toEqual(["before rotation"]);
    expect(await decodeCursor([KEY, OTHER], "s", fresh)).toEqual(["after rotation"]);
    expect(await decodeCursor([KEY], "s", old)).toBeNull();
  });

  it("shows nothing of the position: no email in the cursor or its bytes, a fresh cursor every time", async () => {
    const position = ["jane.doe@example.com", "4536bcfad5faccb111b47003c79917fa"];
    const a = await encodeCursor(KEY, "s", position);
    const b = await encodeCursor(KEY, "s", position);
    expect(a).not.toBe(b);
    for (const cursor of [a, b]) {
      const bytes = String.fromCharCode(...decodeBase64Url(cursor)!);
      for (const part of ["jane", "example", "4536bcfa"]) {
        expect(cursor).not.toContain(part);
        expect(bytes).not.toContain(part);
      }
    }
  });

  it("refuses an edited, truncated or extended cursor and junk", async () => {
    const cursor = await encodeCursor(KEY, "s", ["a", "b"]);
    const bytes = decodeBase64Url(cursor)!;
    for (const index of [0, 12, bytes.length - 1]) {
      const edited = bytes.slice();
      edited[index]! ^= 1;
      expect(await decodeCursor([KEY], "s", encodeBase64Url(edited)), `byte ${index}`).toBeNull();
    }
    expect(await decodeCursor([KEY], "s", encodeBase64Url(bytes.slice(0, -1)))).toBeNull();
    expect(await decodeCursor([KEY], "s", `${cursor}AA`)).toBeNull();
    // The signed cursors of earlier versions (`payload.signature`) are junk now.
    for (const junk of ["", ".", "a.b.c", `${cursor}.`, "%%%.%%%", "eyJhIjoxfQ.c2lnbmF0dXJlMDEyMzQ1Ng"]) {
      expect(await decodeCursor([KEY], "s", junk), junk).toBeNull();
    }
  });

  it("refuses an authentic payload that is not a position list", async () => {
    // Seal a non-array payload the way encodeCursor seals an array.
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const additionalData = new TextEncoder().encode("cloudflare-connector:cursor:v2\ns");
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData },
      KEY,
      new TextEncoder().encode("{}"),
    );
    const forged = encodeBase64Url(new Uint8Array([...iv, ...new Uint8Array(sealed)]));
    expect(await decodeCursor([KEY], "s", forged)).toBeNull();
    // The same bytes sealed as an array do open: the refusal above is about the shape only.
    const array = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData },
      KEY,
      new TextEncoder().encode("[1]"),
    );
    expect(
      await decodeCursor([KEY], "s", encodeBase64Url(new Uint8Array([...iv, ...new Uint8Array(array)]))),
    ).toEqual([1]);
  });
});
