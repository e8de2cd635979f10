/**
 * GET /docs: renders the OpenAPI document with Scalar's API reference. The page itself holds no
 * data; it loads /openapi.json from this Worker.
 */
export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cloudflare connector API</title>
</head>
<body>
<noscript>This page needs JavaScript. The raw OpenAPI document is at <a href="${specUrl}">${specUrl}</a>.</noscript>
<script id="api-reference" data-url="${specUrl}"></script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference@1"></script>
</body>
</html>`;
}
