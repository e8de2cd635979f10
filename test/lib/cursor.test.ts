// Opaque cursors (docs/api.md#limits): a position round-trips only for the scope that issued it.
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "../../src/lib/base64";
import { decodeCursor, encodeCursor } from "../../src/lib/cursor";

const SECRET = "cursor-test-secret-0123456789";

describe("cursors", () => {
  it("round-trips a position for the same secret and scope", async () => {
    const cursor = await encodeCursor(SECRET, "scope-a", ["jane@example.com", "id1", 3]);
    expect(await decodeCursor(SECRET, "scope-a", cursor)).toEqual(["jane@example.com", "id1", 3]);
  });

  it("refuses a cursor from another scope or another secret", async () => {
    const cursor = await encodeCursor(SECRET, "scope-a", ["x"]);
    expect(await decodeCursor(SECRET, "scope-b", cursor)).toBeNull();
    expect(await decodeCursor(`${SECRET}-other`, "scope-a", cursor)).toBeNull();
  });

  it("refuses an edited payload, a truncated signature and junk", async () => {
    const cursor = await encodeCursor(SECRET, "s", ["a", "b"]);
    const [payload, signature] = cursor.split(".") as [string, string];
    const edited = encodeBase64Url(new TextEncoder().encode(JSON.stringify(["a", "c"])));
    expect(await decodeCursor(SECRET, "s", `${edited}.${signature}`)).toBeNull();
    expect(await decodeCursor(SECRET, "s", `${payload}.${signature.slice(0, -2)}`)).toBeNull();
    for (const junk of ["", ".", "a.b.c", `${payload}.`, "%%%.%%%"]) {
      expect(await decodeCursor(SECRET, "s", junk), junk).toBeNull();
    }
    expect(decodeBase64Url(payload)).not.toBeNull();
  });

  it("refuses a validly signed payload that is not a position list", async () => {
    // Sign a non-array payload the way encodeCursor would sign an array.
    const cursor = await encodeCursor(SECRET, "s", []);
    const [, signatureOfEmpty] = cursor.split(".") as [string, string];
    const object = encodeBase64Url(new TextEncoder().encode("{}"));
    expect(await decodeCursor(SECRET, "s", `${object}.${signatureOfEmpty}`)).toBeNull();
  });
});
