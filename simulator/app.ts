import { Hono } from "hono";
export function createSimulator() {
  const app = new Hono();
  app.get("/client/v4/ping", (c) => c.json({ ok: true }));
  return app;
}
