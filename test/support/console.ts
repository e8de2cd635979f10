/**
 * A minimal browser for console tests inside workerd: keeps cookies, posts forms with the CSRF
 * token of the page it last read, and follows nothing (tests assert redirects themselves). The
 * real-browser tests are in test/browser/.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import worker from "../../src/index";
import { ADMIN, type EnvOverrides, modifiedEnv, seenBodies } from "./api";

export interface Page {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

export const csrfIn = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page read. */
  csrf = "";

  constructor(
    private readonly env: EnvOverrides | null = null,
    private readonly origin = "https://connector.test",
  ) {}

  async request(
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const init: RequestInit = {
      method,
      headers: { ...headers, ...(cookie ? { Cookie: cookie } : {}) },
      redirect: "manual",
    };
    if (form) init.body = new URLSearchParams(form);
    const request = new Request(`${this.origin}${path}`, init);
    let response: Response;
    if (this.env) {
      const ctx = createExecutionContext();
      response = await worker.fetch(request, modifiedEnv(this.env), ctx);
      await waitOnExecutionContext(ctx);
    } else {
      response = await exports.default.fetch(request);
    }
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, ...value] = pair!.split("=");
      if (/max-age=0\b/i.test(line) || value.join("=") === "") this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join("="));
    }
    const text = await response.text();
    seenBodies.push(text);
    const csrf = csrfIn(text);
    if (csrf) this.csrf = csrf;
    return {
      status: response.status,
      headers: response.headers,
      text,
      location: response.headers.get("Location"),
    } satisfies Page;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request("GET", path, undefined, headers);
  }

  /** Posts a form with the current CSRF token (unless the form gives its own `_csrf`). */
  post(path: string, form: Record<string, string> = {}) {
    return this.request("POST", path, { _csrf: this.csrf, ...form });
  }

  /** Signs in with a token and reads the overview (so `csrf` is the session's). */
  async signIn(token: string = ADMIN): Promise<Page> {
    await this.get("/sign-in");
    const answer = await this.post("/sign-in", { token });
    if (answer.status === 303) await this.get("/");
    return answer;
  }
}
