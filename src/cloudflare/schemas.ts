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
      count: z.number().optional(),
      total_count: z.number().optional(),
      // Not in the members schema, seen live on /accounts: use it when present.
      total_pages: z.number().optional(),
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
