/**
 * The real Worker as bench/worker.ts sees it. bench/ is type-checked with Node types
 * (tsconfig.node.json), and importing src/index.ts directly would pull the whole Worker into that
 * Node-typed program, where Workers types are missing. So the bench entry imports the module
 * `connector-worker`, which the generated bench wrangler config aliases to src/index.ts for the
 * bundler, and this file describes the little of it that the bench entry uses.
 */
declare module "connector-worker" {
  export interface BenchStatement {
    bind(...values: unknown[]): BenchStatement;
    all<T = Record<string, unknown>>(): Promise<{
      results: T[];
      meta?: { size_after?: number; rows_written?: number; rows_read?: number };
    }>;
    first<T = Record<string, unknown>>(): Promise<T | null>;
  }
  export interface BenchD1 {
    prepare(sql: string): BenchStatement;
    /** A D1 session (src/http/session.ts runs every /v1 request in one); its prepare is the same. */
    withSession(constraint: string): Pick<BenchD1, "prepare">;
  }
  const worker: {
    fetch(request: Request, env: any, ctx: any): Response | Promise<Response>;
    scheduled(controller: any, env: any, ctx: any): Promise<void>;
    queue(batch: any, env: any, ctx: any): Promise<void>;
  };
  export default worker;
}
