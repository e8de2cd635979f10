// Bundle-time stand-in for @asteasolutions/zod-to-openapi (9.1.0): the installed package, but
// without its OpenAPI 3.0 generator. @hono/zod-openapi imports it for getOpenAPIDocument() and
// doc(); this Worker serves only the 3.1 document (app.doc31, src/app.ts), so nothing builds a
// 3.0 one (wrangler.jsonc "alias", vitest.config.ts; docs/architecture.md#bundle).
// test/bundle/zod-to-openapi.test.ts checks the names still match the installed package and
// that no code asks for a 3.0 document.
export {
  extendZodWithOpenApi,
  getOpenApiMetadata,
  getRefId,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  OpenApiGeneratorV32,
  zodToOpenAPIRegistry,
} from "../node_modules/@asteasolutions/zod-to-openapi/dist/index.mjs";

export class OpenApiGeneratorV3 {
  constructor() {
    throw new Error("the OpenAPI 3.0 generator is not in this bundle (build/zod-to-openapi.mjs)");
  }
}
