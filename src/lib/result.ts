/**
 * Expected failures are values, not exceptions: a revoked token or an unknown organization is
 * part of normal operation, and only the HTTP edge turns a failure into a status code.
 */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
