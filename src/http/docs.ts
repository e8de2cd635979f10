/**
 * GET /docs: a small, self-contained API reference rendered in the browser from /openapi.json.
 * No CDN and no framework, so it works in the offline demo and adds little to the bundle.
 */
const SCRIPT = `
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const fmt = (v) => esc(JSON.stringify(v, null, 2));
fetch(document.body.dataset.spec).then((r) => r.json()).then((doc) => {
  const ref = (s) => (s && s.$ref ? doc.components.schemas[s.$ref.split("/").pop()] : s) || {};
  const example = (s) => { s = ref(s); return s.example ?? (s.type === "object" && s.properties
    ? Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, example(v)])) : s.type === "array" ? [example(s.items)] : s.type); };
  const type = (s) => { s = s || {}; return s.$ref ? s.$ref.split("/").pop() : s.enum ? s.enum.join(" | ") : s.type || "any"; };
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops))
    (byTag[(op.tags || ["Other"])[0]] ??= []).push({ path, method, op });
  let html = "<h1>" + esc(doc.info.title) + " <small>" + esc(doc.info.version) + "</small></h1><p>" + esc(doc.info.description) +
    "</p><p>Send <code>Authorization: Bearer &lt;token&gt;</code> on every /v1 route. Raw document: <a href='" + esc(document.body.dataset.spec) + "'>openapi.json</a></p>";
  for (const [tag, list] of Object.entries(byTag)) {
    html += "<h2>" + esc(tag) + "</h2>";
    for (const { path, method, op } of list) {
      html += "<details><summary><b class='m " + method + "'>" + method.toUpperCase() + "</b> <code>" + esc(path) + "</code> " + esc(op.summary) + "</summary>";
      if (op.description) html += "<p>" + esc(op.description) + "</p>";
      if (op.parameters?.length) html += "<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>" + op.parameters.map((p) =>
        "<tr><td><code>" + esc(p.name) + "</code>" + (p.required ? " *" : "") + "</td><td>" + esc(p.in) + "</td><td>" + esc(type(p.schema)) +
        "</td><td>" + esc(p.description || p.schema?.description || "") + (p.schema?.example !== undefined ? " e.g. <code>" + esc(p.schema.example) + "</code>" : "") + "</td></tr>").join("") + "</table>";
      const body = op.requestBody?.content?.["application/json"]?.schema;
      if (body) html += "<h4>Body</h4><pre>" + fmt(example(body)) + "</pre>";
      html += "<h4>Responses</h4>";
      for (const [status, res] of Object.entries(op.responses || {})) {
        const schema = res.content?.["application/json"]?.schema;
        html += "<p><b>" + esc(status) + "</b> " + esc(res.description) + "</p>" + (schema && status < 300 ? "<pre>" + fmt(example(schema)) + "</pre>" : "");
      }
      html += "</details>";
    }
  }
  const codes = doc.components.schemas.Error?.properties?.error?.properties?.code?.enum;
  if (codes) html += "<h2>Error codes</h2><p>" + codes.map((c) => "<code>" + esc(c) + "</code>").join(" ") + "</p><pre>" + fmt(doc.components.schemas.Error.example) + "</pre>";
  document.getElementById("doc").innerHTML = html;
}).catch((e) => { document.getElementById("doc").textContent = "Could not load the OpenAPI document: " + e; });
`;

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
details{border:1px solid #ddd;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}summary{cursor:pointer}
pre{background:#f6f6f6;padding:.6rem;overflow:auto;font-size:13px}table{border-collapse:collapse;font-size:14px}
td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}.m{display:inline-block;width:4.2rem}
.get{color:#0a7}.post{color:#06c}.patch{color:#a60}.delete{color:#c22}`;

export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cloudflare connector API</title>
<style>${STYLE}</style></head>
<body data-spec="${specUrl}"><div id="doc">Loading the API reference… (raw document: <a href="${specUrl}">${specUrl}</a>)</div>
<script>${SCRIPT}</script></body></html>`;
}

const sha256Source = async (text: string) => {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
};

let policy: Promise<string> | undefined;

/**
 * The Content-Security-Policy of /docs: its one inline script and one inline style by hash,
 * fetches to this origin only (for /openapi.json), nothing else loaded, never framed.
 */
export function docsContentSecurityPolicy(): Promise<string> {
  policy ??= Promise.all([sha256Source(SCRIPT), sha256Source(STYLE)]).then(([script, style]) =>
    [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src ${style}`,
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  );
  return policy;
}
