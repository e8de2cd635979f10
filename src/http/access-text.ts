/** Grants in words, for CSV cells: deny and scope always visible (docs/api.md#user-accounts). */
import type { AccessGrant } from "../domain/member";

/** Where a grant applies, in words: "account" or "2 resources". */
export const scopeText = (g: Pick<AccessGrant, "scope" | "resources">) =>
  g.scope === "account" ? "account" : `${g.resources} resource${g.resources === 1 ? "" : "s"}`;

/** "DNS Write (allow, account); Zone Read (deny, 2 resources)": every grant, deny and scope visible. */
export const accessSummary = (access: AccessGrant[]) =>
  access.map((g) => `${g.name} (${g.effect}, ${scopeText(g)})`).join("; ");
