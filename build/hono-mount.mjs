// Bundle-time stand-in for hono/dist/utils/mount.js (hono 4), which only the deprecated
// `app.mount()` of Hono's base class uses: it mounts a non-Hono handler under a path prefix,
// and nothing here calls it (wrangler.jsonc "alias", vitest.config.ts). ~1.3 KiB minified with
// what only it reaches (docs/architecture.md#bundle). test/bundle/hono-mount.test.ts checks the
// names still match the installed hono and that no code calls `.mount(`.
export const createMountedRequest = () => {
  throw new Error("Hono's app.mount() is not in this bundle (build/hono-mount.mjs)");
};
