/** Clock helpers: every stored time is an ISO-8601 UTC string, every lease an epoch-ms number. */
export const nowIso = (now = Date.now()): string => new Date(now).toISOString();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
