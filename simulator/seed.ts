// Demo data for the offline demo (`npx tsx simulator/serve.ts`): two organizations with stable ids
// and a handful of tokens covering the interesting cases. `DEMO` is exported so a start script can
// print what to paste into the connector.

import { generateMembers, MEMBER_ROLES, type RawMember } from "./members.ts";
import { recordMemberChange, recordUnrelatedChange } from "./sources.ts";
import type { SimulatorState } from "./state.ts";

/** Pads a readable token body to the 40 characters of the current token format (Cloudflare docs, token formats). */
const demoToken = (prefix: "cfut_" | "cfat_", body: string): string => prefix + body.padEnd(40, "0");

const ACME_ID = "3f2a9c1e7b5d4f60a8e2c4b6d8f01a23";
const GLOBEX_ID = "9b7e5d3c1a2f4e6d8c0b2a4f6e8d0c1b";
const ACME_GENERATED = 120;
const GLOBEX_GENERATED = 30;

/**
 * Hand-written Acme members showing the irregular shapes a connector must accept. As in the recorded
 * real answer, the email is only under `user`.
 */
const ACME_IRREGULAR_MEMBERS: RawMember[] = [
  {
    // A pending invite: no user id, null names (the schema guarantees only user.email).
    id: "a0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5",
    status: "pending",
    user: { first_name: null, last_name: null, email: "new.hire@acme-corp.example" },
    api_access_enabled: null,
    roles: [MEMBER_ROLES[3]],
    policies: null,
  },
  {
    // Policies only, no `roles` key at all (roles are deprecated), one of the policies a deny.
    id: "b1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6",
    status: "accepted",
    user: {
      id: "c2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7",
      first_name: "Quinn",
      last_name: "Contractor",
      email: "contractor@partner.example",
      two_factor_authentication_enabled: true,
    },
    api_access_enabled: true,
    policies: [
      {
        id: "d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8",
        access: "allow",
        permission_groups: [
          {
            id: "fb39d3e0ddba4d3bb3c9cc3c4bb3e5a8",
            name: "DNS",
            meta: {
              description: "Can edit DNS records.",
              editable: "false",
              label: "dns_admin",
              scopes: "com.cloudflare.api.account",
            },
          },
        ],
        resource_groups: [
          {
            id: "e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9",
            name: `com.cloudflare.api.account.${ACME_ID}`,
            meta: { editable: "false" },
            scope: { key: `com.cloudflare.api.account.${ACME_ID}`, objects: [{ key: "*" }] },
          },
        ],
      },
      {
        id: "f5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0",
        access: "deny",
        permission_groups: [
          {
            id: "e0d1f652c7d84d35a4e356734cad1c2b",
            name: "Cloudflare R2 Admin",
            meta: {
              description: "Can edit R2 buckets, objects, and associated configurations.",
              editable: "false",
              label: "r2_admin",
              scopes: "com.cloudflare.api.account",
            },
          },
        ],
        resource_groups: [
          {
            id: "e4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9",
            name: `com.cloudflare.api.account.${ACME_ID}`,
            meta: { editable: "false" },
            scope: { key: `com.cloudflare.api.account.${ACME_ID}`, objects: [{ key: "*" }] },
          },
        ],
      },
    ],
  },
  {
    // Non-ASCII names and no 2FA field at all (the schema's default: false).
    id: "a6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1",
    status: "accepted",
    user: {
      id: "b7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2",
      first_name: "Zoë",
      last_name: "Ångström",
      email: "zoe.angstrom@acme-corp.example",
    },
    roles: [MEMBER_ROLES[0]],
    policies: [],
  },
];

/** What the demo holds, for printing: ids, names and token values are stable across runs. */
export const DEMO = {
  accounts: {
    acme: {
      id: ACME_ID,
      name: "Acme Corp",
      type: "standard",
      members: ACME_GENERATED + ACME_IRREGULAR_MEMBERS.length,
      description:
        "standard account; includes pending invites, a policies-only member and a member without a 2FA flag",
    },
    globex: {
      id: GLOBEX_ID,
      name: "Globex Industries",
      type: "enterprise",
      members: GLOBEX_GENERATED,
      description: "enterprise account enforcing two-factor authentication",
    },
  },
  tokens: {
    userReadOnly: {
      id: "7d1f0c2a9e8b4c3d5a6f7e8d9c0b1a21",
      value: demoToken("cfut_", "demoAcmeGlobexReadOnly"),
      kind: "user",
      description:
        "user token, Account Settings Read on Acme Corp and Globex Industries (members, audit log), plus Account API Tokens Read and SSO Connector Read",
    },
    globexAccountOwned: {
      id: "7d1f0c2a9e8b4c3d5a6f7e8d9c0b1a22",
      value: demoToken("cfat_", "demoGlobexAccountOwned"),
      kind: "account",
      description:
        "account-owned token of Globex Industries that reads members only (GET /accounts repeats one page for every page number)",
    },
    acmeNoPermission: {
      id: "7d1f0c2a9e8b4c3d5a6f7e8d9c0b1a23",
      value: demoToken("cfat_", "demoAcmeNoSettingsRead"),
      kind: "account",
      description: "account-owned token of Acme Corp without Account Settings Read (members answer 403)",
    },
    acmeTerraform: {
      id: "7d1f0c2a9e8b4c3d5a6f7e8d9c0b1a25",
      value: demoToken("cfat_", "demoAcmeTerraformCi"),
      kind: "account",
      description: "account-owned token of Acme Corp used by CI: DNS Write on one zone, IP-filtered",
    },
    revoked: {
      id: "7d1f0c2a9e8b4c3d5a6f7e8d9c0b1a24",
      value: demoToken("cfut_", "demoRevoked"),
      kind: "user",
      description: "revoked user token (every call answers 401 Invalid API Token)",
    },
  },
} as const;

/** Loads the demo accounts and tokens into a fresh state. */
export function seedDemo(state: SimulatorState): void {
  const { acme, globex } = DEMO.accounts;
  state.addAccount({
    id: acme.id,
    name: acme.name,
    type: acme.type,
    createdOn: "2019-03-01T12:21:02.000Z",
    members: [
      ...generateMembers(acme.id, ACME_GENERATED, { domain: "acme-corp" }),
      ...ACME_IRREGULAR_MEMBERS,
    ],
  });
  const acmeAccount = state.accounts.get(acme.id)!;
  acmeAccount.ssoConnectors = [
    {
      id: "5f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
      email_domain: "acme-corp.example",
      enabled: true,
      verification: { code: "cloudflare_dashboard_sso=demo", status: "verified" },
      created_on: "2024-02-01T10:00:00.000Z",
      updated_on: "2024-02-01T10:00:00.000Z",
    },
  ];
  // The invitation of the pending member, and a change to something else (a DNS record).
  const invite = ACME_IRREGULAR_MEMBERS[0]!;
  recordMemberChange(
    acmeAccount,
    "create",
    invite,
    { email: "it-admin@acme-corp.example" },
    new Date(Date.now() - 20 * 86_400_000),
  );
  recordUnrelatedChange(acmeAccount, { email: "it-admin@acme-corp.example" });
  state.addAccount({
    id: globex.id,
    name: globex.name,
    type: globex.type,
    enforceTwoFactor: true,
    createdOn: "2021-07-15T08:00:00.000Z",
    members: generateMembers(globex.id, GLOBEX_GENERATED, { domain: "globex" }),
  });

  const { userReadOnly, globexAccountOwned, acmeNoPermission, acmeTerraform, revoked } = DEMO.tokens;
  state.addToken({
    value: userReadOnly.value,
    id: userReadOnly.id,
    kind: "user",
    accountIds: [acme.id, globex.id],
  });
  state.addToken({
    value: globexAccountOwned.value,
    id: globexAccountOwned.id,
    kind: "account",
    accountIds: [globex.id],
    name: "globex-connector",
    permissions: { auditLogs: false, apiTokensRead: false, ssoRead: false },
  });
  state.addToken({
    value: acmeNoPermission.value,
    id: acmeNoPermission.id,
    kind: "account",
    accountIds: [acme.id],
    name: "legacy-zone-bot",
    permissions: { accountSettingsRead: false },
    lastUsedOn: "2025-06-30T09:15:00.000Z",
  });
  state.addToken({
    value: acmeTerraform.value,
    id: acmeTerraform.id,
    kind: "account",
    accountIds: [acme.id],
    name: "terraform-ci",
    ipRestricted: true,
    lastUsedOn: new Date(Date.now() - 3_600_000).toISOString(),
    policies: [
      {
        id: "6a7b8c9d0e1f4a2b8c3d4e5f6a7b8c9d",
        effect: "allow",
        permission_groups: [{ id: "4755a26eedb94da69e1066d98aa820be", name: "DNS Write" }],
        resources: { "com.cloudflare.api.account.zone.9f8e7d6c5b4a39281706f5e4d3c2b1a0": "*" },
      },
    ],
  });
  state.addToken({
    value: revoked.value,
    id: revoked.id,
    kind: "user",
    accountIds: [acme.id],
    revoked: true,
  });
}
