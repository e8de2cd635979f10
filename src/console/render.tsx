/** Answering with a whole console page (docs/console.md#pages). */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Layout, type LayoutProps } from "./components";
import type { ConsoleContext } from "./context";

/** The page inside the layout, as an HTML document; the session shown is the request's. */
export async function renderPage(
  c: ConsoleContext,
  props: Omit<LayoutProps, "session">,
  status: ContentfulStatusCode = 200,
) {
  const html = await (<Layout {...props} session={c.get("session") ?? null} />).toString();
  return c.html(`<!doctype html>\n${html}`, status);
}

/** A page that only says what happened and where to go next (refusals, not-found). */
export function messagePage(
  c: ConsoleContext,
  title: string,
  message: string,
  status: ContentfulStatusCode,
  next: { href: string; text: string } = { href: "/", text: "Back to integrations" },
) {
  return renderPage(
    c,
    {
      title,
      section: null,
      children: (
        <>
          <p>{message}</p>
          <p>
            <a href={next.href}>{next.text}</a>
          </p>
        </>
      ),
    },
    status,
  );
}
