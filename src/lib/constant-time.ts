/**
 * Constant-time comparison of secrets-derived bytes (bearer-token digests): the time
 * taken depends on neither where the inputs differ nor, for equal-length inputs, their content.
 */
export function equalBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  // Lengths are public here (digest sizes are fixed), so an early exit reveals nothing.
  if (a.byteLength !== b.byteLength) return false;
  return crypto.subtle.timingSafeEqual(a, b);
}
