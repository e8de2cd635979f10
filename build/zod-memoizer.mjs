// Bundle-time stand-in for zod/v4/core/memoizer.js (zod 4.6.7): zod's cycle support for recursive
// schemas (`z.lazy`, getters in a shape), which classic zod installs by default and which wraps
// every object, array, record, map and set schema. No schema here is recursive, so for each of
// them zod's own memoizer takes itself back out on the first parse (its walk finds no cycle), and
// the inputs are JSON, query strings and D1 rows, which never hold a cycle. Without it zod runs
// its memo-less path, the default of `zod/mini`. ~3 KiB minified (docs/architecture.md#bundle).
// test/bundle/zod-alias.test.ts checks the names still match the installed zod and that no
// schema of the Worker is recursive.
export class $ZodCyclicError extends Error {
  constructor() {
    super("Cannot parse a reference cycle that closes through a transform");
    this.name = "ZodCyclicError";
  }
}

/** No memoizer: `core.config({ memoizer: undefined })` leaves zod on its memo-less path. */
export const memoizer = () => undefined;

export const isBackEdge = () => false;

export const isRecursiveSchema = () => {
  throw new Error("zod's cycle detection is not in this bundle (build/zod-memoizer.mjs)");
};
