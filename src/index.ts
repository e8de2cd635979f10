export default {
  async fetch(req: Request, env: Env) {
    const r = await fetch(`${env.CLOUDFLARE_API_BASE_URL}/ping`);
    return new Response(await r.text());
  },
} satisfies ExportedHandler<Env>;
