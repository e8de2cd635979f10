/**
 * zod schemas for the Cloudflare API responses the connector reads (docs/cloudflare.md).
 * Every response is validated: a page that does not parse is `cloudflare_invalid_response`, never
 * half-trusted data. Objects are loose so new Cloudflare fields never break a sync.
 */
import { z } from "zod";

export const messageSchema = z.looseObject({ code: z.number().optional(), message: z.string().optional() });

/** The v4 envelope; `result` is validated separately per endpoint. */
export const envelopeSchema = z.looseObject({
  success: z.boolean(),
  errors: z.array(messageSchema).nullish(),
  messages: z.array(z.unknown()).nullish(),
  result: z.unknown().optional(),
  result_info: z
    .looseObject({
      page: z.number().optional(),
      per_page: z.number().optional(),
      // Unused, and a string on the audit log: accepted in any form.
      count: z.unknown().optional(),
      total_count: z.number().optional(),
      // Not in the members schema, seen live on /accounts: use it when present.
      total_pages: z.number().optional(),
      // Cursor paging (the audit log): the next page's cursor; empty or absent on the last page.
      // The documentation names it `cursor`; the generated SDKs read `cursors.after`: both are read.
      cursor: z.string().nullish(),
      cursors: z.looseObject({ after: z.string().nullish() }).nullish(),
    })
    .nullish(),
});
export type Envelope = z.infer<typeof envelopeSchema>;
export type ResultInfo = NonNullable<Envelope["result_info"]>;

export const tokenVerifySchema = z.looseObject({
  id: z.string(),
  status: z.enum(["active", "disabled", "expired"]),
  expires_on: z.string().nullish(),
  not_before: z.string().nullish(),
});
export type TokenVerification = z.infer<typeof tokenVerifySchema>;

export const accountSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  type: z.string().optional(),
  settings: z.looseObject({ enforce_twofactor: z.boolean().nullish() }).nullish(),
});
export type CloudflareAccount = z.infer<typeof accountSchema>;

const roleSchema = z.looseObject({ id: z.string(), name: z.string() });

/**
 * Only the parts of a policy the connector reads are checked; catalogue `meta`, ids and the
 * resource-group details are read defensively by member.ts, so a new field never fails a sync.
 */
const policySchema = z.looseObject({
  id: z.string().nullish(),
  access: z.string().nullish(),
  permission_groups: z
    .array(z.looseObject({ id: z.string().nullish(), name: z.string().nullish() }))
    .nullish(),
  resource_groups: z.array(z.looseObject({ scope: z.looseObject({}).nullish() })).nullish(),
});

export const memberSchema = z.looseObject({
  id: z.string().min(1).max(64),
  email: z.string().nullish(),
  status: z.string().nullish(),
  user: z
    .looseObject({
      id: z.string().nullish(),
      email: z.string().nullish(),
      first_name: z.string().nullish(),
      last_name: z.string().nullish(),
      two_factor_authentication_enabled: z.boolean().nullish(),
    })
    .nullish(),
  roles: z.array(roleSchema).nullish(),
  policies: z.array(policySchema).nullish(),
  /** Enterprise per-member API access; recorded as null on accounts without it. */
  api_access_enabled: z.boolean().nullish(),
});
export type CloudflareMember = z.infer<typeof memberSchema>;

/** A list page: Cloudflare's schema allows `result: null` (and a client may see none), an empty page. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((items) => items ?? []);

export const accountListSchema = listOf(accountSchema);
export const memberListSchema = listOf(memberSchema);

/**
 * One Audit Logs v2 entry (docs/cloudflare.md#audit-log). Every field is optional in Cloudflare's
 * schema; entries are validated one by one, so a malformed entry is skipped, never the page.
 */
export const auditEntrySchema = z.looseObject({
  id: z.string().min(1),
  action: z
    .looseObject({
      description: z.string().nullish(),
      result: z.string().nullish(),
      time: z.string().min(1),
      type: z.string().nullish(),
    })
    .nullish(),
  actor: z
    .looseObject({
      id: z.string().nullish(),
      context: z.string().nullish(),
      email: z.string().nullish(),
      ip_address: z.string().nullish(),
      token_id: z.string().nullish(),
      token_name: z.string().nullish(),
      type: z.string().nullish(),
    })
    .nullish(),
  raw: z.looseObject({ method: z.string().nullish(), uri: z.string().nullish() }).nullish(),
  resource: z
    .looseObject({ id: z.string().nullish(), product: z.string().nullish(), type: z.string().nullish() })
    .nullish(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
/** An audit page: entries checked one by one by the reader. */
export const auditPageSchema = listOf(z.unknown());

/** An account-owned API token as GET /accounts/{id}/tokens lists it (its secret is never returned). */
export const apiTokenSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  status: z.string().nullish(),
  issued_on: z.string().nullish(),
  modified_on: z.string().nullish(),
  expires_on: z.string().nullish(),
  not_before: z.string().nullish(),
  last_used_on: z.string().nullish(),
  policies: z
    .array(
      z.looseObject({
        effect: z.string().nullish(),
        permission_groups: z
          .array(z.looseObject({ id: z.string().nullish(), name: z.string().nullish() }))
          .nullish(),
        resources: z.record(z.string(), z.unknown()).nullish(),
      }),
    )
    .nullish(),
  condition: z
    .looseObject({
      request_ip: z
        .looseObject({ in: z.array(z.string()).nullish(), not_in: z.array(z.string()).nullish() })
        .nullish(),
    })
    .nullish(),
});
export type CloudflareApiToken = z.infer<typeof apiTokenSchema>;
export const apiTokenListSchema = listOf(apiTokenSchema);

/** A dashboard SSO connector (GET /accounts/{id}/sso_connectors). */
export const ssoConnectorSchema = z.looseObject({
  id: z.string().nullish(),
  email_domain: z.string().nullish(),
  enabled: z.boolean().nullish(),
});
export const ssoConnectorListSchema = listOf(ssoConnectorSchema);
