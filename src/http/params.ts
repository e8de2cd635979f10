/**
 * Query and path parameters shared by several routes (docs/api.md#limits): the `limit` parameter,
 * path ids, and opaque cursors — each defined once so every route accepts and refuses the same way.
 */
import { z } from "@hono/zod-openapi";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { Keyring } from "../vault/keyring";
import { invalidField } from "./validation";

/** `limit`: a whole number from 1 to `max`, `fallback` when absent. */
export const limitParam = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, `must be a whole number from 1 to ${max}`)
    .optional()
    .openapi({ example: String(fallback), description: `1 to ${max}, default ${fallback}` });

/** Path parameter `id`: opaque, but bounded so junk never reaches SQL as a huge string. */
export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "5b0c7c8e-2f0e-4d8e-9f57-1c7f9b1e2a33" }),
});

/** Query parameter `cursor`: the `nextCursor` of the previous page. */
export const cursorParam = z
  .string()
  .max(1024)
  .optional()
  .openapi({ description: "nextCursor of the previous page" });

const CURSOR_REFUSED = "was not issued by this API for this query";

/**
 * The keyset position a cursor carries, or null when there is none. A cursor that is forged,
 * edited, issued for another query (`scope`) or sealed with a key no longer in ENCRYPTION_KEYS
 * is a 400 naming `cursor`.
 */
export async function readCursor<P extends unknown[]>(
  keyring: Keyring,
  scope: string,
  cursor: string | undefined,
  isPosition: (position: unknown[]) => position is P,
): Promise<P | null> {
  if (cursor === undefined) return null;
  const position = await decodeCursor(keyring.cursorKeys, scope, cursor);
  if (!position || !isPosition(position)) throw invalidField("cursor", CURSOR_REFUSED);
  return position;
}

/** The cursor for the page after `last`, or null on the last page. */
export async function nextCursor(
  keyring: Keyring,
  scope: string,
  page: { more: boolean; last: unknown[] | null },
): Promise<string | null> {
  return page.more && page.last ? encodeCursor(keyring.cursorKeys[0], scope, page.last) : null;
}
