// Randomness for the simulator: a seeded PRNG for deterministic fixtures, and crypto-random ids for
// everything tests create at run time (accounts, tokens, faults) so concurrent test files never collide.

/** A deterministic generator of 32-bit unsigned integers. */
export type Rng = () => number;

/** cyrb128: hashes a string into four 32-bit words, enough state to seed {@link sfc32}. */
export function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** sfc32: small, fast, 128-bit state; plenty for fixtures (not for secrets). */
export function sfc32(a0: number, b0: number, c0: number, d0: number): Rng {
  let a = a0 | 0;
  let b = b0 | 0;
  let c = c0 | 0;
  let d = d0 | 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Mix the seed so nearby seeds (consecutive indexes) do not give correlated first outputs.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A float in [0, 1). */
export function unit(rng: Rng): number {
  return rng() / 4294967296;
}

/** One element of a non-empty list. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng() % items.length] as T;
}

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Eight lowercase hex digits of a 32-bit word (table lookup: ids are the generator's hot path). */
export function hex8(word: number): string {
  return (
    (BYTE_HEX[word >>> 24] as string) +
    (BYTE_HEX[(word >>> 16) & 255] as string) +
    (BYTE_HEX[(word >>> 8) & 255] as string) +
    (BYTE_HEX[word & 255] as string)
  );
}

/** A 32-hex id drawn from a seeded generator. */
export function seededHexId(rng: Rng): string {
  return hex8(rng()) + hex8(rng()) + hex8(rng()) + hex8(rng());
}

/** A crypto-random 32-hex id, the shape of every Cloudflare identifier. */
export function randomHexId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `length` crypto-random characters of [A-Za-z0-9]. */
export function randomAlphanumeric(length: number): string {
  // 62 does not divide 256: reject the top bytes so every character is equally likely.
  const limit = 256 - (256 % ALPHANUMERIC.length);
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out += ALPHANUMERIC[b % ALPHANUMERIC.length];
    }
  }
  return out;
}
