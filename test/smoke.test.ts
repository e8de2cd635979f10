import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("reaches the simulator", async () => {
  const r = await exports.default.fetch("http://x/");
  expect(await r.text()).toBe('{"ok":true}');
  const rows = await env.DB.prepare("select count(*) as n from t").first();
  expect(rows).toEqual({ n: 0 });
});
