/**
 * The finding types (docs/findings.md): what each means, how severe it is, and what the admin
 * does about it in the Cloudflare dashboard. The conditions themselves are SQL (store/findings.ts).
 */

export const FINDING_TYPES = [
  "member_without_2fa",
  "two_factor_not_enforced",
  "stale_invitation",
  "too_many_super_admins",
  "external_member",
  "leaver_with_access",
  "unknown_person",
  "api_token_stale",
  "api_token_no_expiry",
  "sync_stale",
  "webhook_disabled",
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export const FINDING_SEVERITIES = ["high", "medium", "low"] as const;
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];

export const FINDING_STATUSES = ["open", "resolved"] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export type FindingSubjectKind = "account" | "api_token" | "integration" | "person" | "webhook";

/** Days without use (or since issue, if never used) after which an active API token is stale. */
export const API_TOKEN_STALE_DAYS = 90;
/** The cron runs every 15 minutes; no successful sync for this many intervals is sync_stale. */
export const SYNC_STALE_INTERVALS = 3;
export const CRON_INTERVAL_MINUTES = 15;

/** The role name (lower-cased, as access_names holds it) that counts as a super administrator. */
export const SUPER_ADMIN_ROLE = "super administrator - all privileges";

export interface FindingThresholds {
  staleInvitationDays: number;
  maxSuperAdmins: number;
}

export const FINDING_CATALOGUE: Record<
  FindingType,
  { severity: FindingSeverity; subject: FindingSubjectKind; remediation: string }
> = {
  member_without_2fa: {
    severity: "high",
    subject: "account",
    remediation:
      "Ask the member to turn on two-factor authentication (My Profile > Authentication > Two-Factor Authentication), or require it for everyone: Manage Account > Members > Members 2FA enforcement.",
  },
  two_factor_not_enforced: {
    severity: "medium",
    subject: "integration",
    remediation:
      "In the Cloudflare dashboard open the account, go to Manage Account > Members and turn on 'Enforce multi-factor authentication' so every member must use 2FA.",
  },
  stale_invitation: {
    severity: "low",
    subject: "account",
    remediation:
      "In Manage Account > Members, find the pending invitation: resend it if the person still needs access, otherwise revoke it.",
  },
  too_many_super_admins: {
    severity: "medium",
    subject: "integration",
    remediation:
      "In Manage Account > Members, edit the members listed here and replace 'Super Administrator - All Privileges' with the narrowest role they need (e.g. Administrator or a domain-scoped role), keeping only a few super administrators.",
  },
  external_member: {
    severity: "medium",
    subject: "account",
    remediation:
      "In Manage Account > Members, check this member: remove them if they should not have access; if their domain is your organisation's, add it to the integration's allowedEmailDomains (PATCH /v1/integrations/{id}).",
  },
  leaver_with_access: {
    severity: "high",
    subject: "person",
    remediation:
      "This person is marked leaver in your roster. In the Cloudflare dashboard open the account named here, go to Manage Account > Members and remove them; then check Manage Account > Account API Tokens and the audit log for tokens and changes they made. GET /v1/people/{email} lists every account they still have.",
  },
  unknown_person: {
    severity: "medium",
    subject: "account",
    remediation:
      "Find out who this membership belongs to. If it is someone in your organisation, add them to the roster (PUT /v1/roster); if nobody owns it, remove it in Manage Account > Members.",
  },
  api_token_stale: {
    severity: "low",
    subject: "api_token",
    remediation:
      "In Manage Account > Account API Tokens, confirm nothing still relies on this token, then delete (roll or revoke) it.",
  },
  api_token_no_expiry: {
    severity: "low",
    subject: "api_token",
    remediation:
      "In Manage Account > Account API Tokens, roll this token into a new one with a TTL (an end date under 'TTL'), then update what uses it and delete the old one.",
  },
  sync_stale: {
    severity: "high",
    subject: "integration",
    remediation:
      "Read the latest sync's error (GET /v1/integrations/{id}) and do what it says; usually the Cloudflare API token was revoked, expired or lost a permission: create a new one under My Profile > API Tokens (or Manage Account > Account API Tokens) and set it with PATCH /v1/integrations/{id}.",
  },
  webhook_disabled: {
    severity: "high",
    subject: "webhook",
    remediation:
      'Check the receiver behind the webhook endpoint (GET /v1/webhooks/{id}/deliveries says what it answered), fix it, then turn the endpoint back on with PATCH /v1/webhooks/{id} {"enabled": true}. Changes made while it was disabled are in the events and findings feeds.',
  },
};
