// Types of build/hono-mount.mjs: the one name hono/dist/utils/mount.js exports.
export declare const createMountedRequest: () => never;
