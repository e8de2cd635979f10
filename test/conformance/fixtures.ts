/**
 * Cloudflare answers in the exact shapes recorded from the real API, with anonymised values.
 * Each fixture names its public source; docs/cloudflare.md lists them all. The conformance tests
 * replay these through the simulator (a `replay` fault answers a body verbatim, or the account's
 * stored members are served by the simulator's members route), then through the client, the
 * connect checks and a full sync, and assert what the connector serves.
 */

const ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const accountScope = (accountId: string) => `com.cloudflare.api.account.${accountId}`;

/** Catalogue text of a permission group as recorded (`meta` values are all strings). */
const catalogue = (label: string, description: string) => ({
  description,
  editable: "false",
  label,
  scopes: "com.cloudflare.api.account",
});

/**
 * Members of a real account, as recorded by go-vcr in cloudflare/cf-terraforming
 * testdata/cloudflare/v5/cloudflare_account_member.yaml (commit af9ce955, 2025-02-18):
 * email only under `user`, `api_access_enabled: null`, accepted members with null names, a policy
 * with its own `meta` and an all-zero id, roles listed in another order than the policy's groups,
 * role grants as `{read, edit}`.
 */
export function recordedMembers(accountId = ACCOUNT) {
  const accountWide = (id: string, objects: object[] = [{ key: "*" }]) => ({
    id,
    name: accountScope(accountId),
    meta: { editable: "false" },
    scope: { key: accountScope(accountId), objects },
  });
  return [
    {
      id: "9ad9fa82d0ca4f4da16d8869b0628a01",
      user: {
        id: "fffe8afdb4bd5b94c5b093a23a74a001",
        first_name: "Ada",
        last_name: "Admin",
        email: "ada.admin@example.com",
        two_factor_authentication_enabled: true,
      },
      status: "accepted",
      api_access_enabled: null,
      policies: [
        {
          id: "aa0fe1963f8f49c8a4f2d73314140001",
          access: "allow",
          permission_groups: [
            {
              id: "8e23b19e4e0d44c29d239c5688ba8cbb",
              name: "Super Administrator - All Privileges",
              meta: catalogue(
                "all_privileges",
                "Can edit any Cloudflare setting, make purchases, update billing, and manage memberships.",
              ),
            },
          ],
          resource_groups: [accountWide("68dfcdfb261c4d48aa75ec0e54130001")],
        },
      ],
      roles: [
        {
          id: "33666b9c79b9a5273fc7344ff42f953d",
          name: "Super Administrator - All Privileges",
          description:
            "Can edit any Cloudflare setting, make purchases, update billing, and manage memberships.",
          permissions: { access: { edit: true, read: true }, analytics: { edit: false, read: true } },
        },
      ],
    },
    {
      id: "6ce995b425a96d2359d812e22284a002",
      user: {
        id: "bda13cf6739445c3d310760c1a2a0002",
        first_name: null,
        last_name: null,
        email: "no.name@example.com",
        two_factor_authentication_enabled: false,
      },
      status: "accepted",
      api_access_enabled: null,
      policies: [
        {
          id: "00000000000000000000000000000000",
          access: "allow",
          meta: { editable: "false" },
          permission_groups: [
            {
              id: "8e23b19e4e0d44c29d239c5688ba8cbb",
              name: "Super Administrator - All Privileges",
              meta: catalogue("all_privileges", "Can edit any Cloudflare setting."),
            },
          ],
          resource_groups: [
            accountWide("00000000000000000000000000000000", [
              { key: "*", attributes: { editable: "false" } },
            ]),
          ],
        },
      ],
      roles: [],
    },
    {
      id: "26043bd8eefe490948396e3a40a7a003",
      user: {
        id: "5d1f0e2c3b4a59687766554433220003",
        first_name: "Tess",
        last_name: "Terraform",
        email: "automation@example.com",
        two_factor_authentication_enabled: false,
      },
      status: "accepted",
      api_access_enabled: null,
      policies: [
        {
          id: "00000000000000000000000000000000",
          access: "allow",
          meta: { editable: "false" },
          permission_groups: [
            {
              id: "1d0192fb3eec4ae8a9c6d9a402c275ce",
              name: "Log Share",
              meta: catalogue("logs_admin", "Can edit Log Share configuration."),
            },
            {
              id: "09183a2ba736489fa15ad192575dd134",
              name: "Cloudflare Access",
              meta: catalogue("access_admin", "Can edit Cloudflare Access."),
            },
            {
              id: "35c29e7b93bc4caa8a47857aedea7fd6",
              name: "Billing",
              meta: catalogue("billing_admin", "Can edit the account’s billing profile and subscriptions."),
            },
            {
              id: "201e1f6a044241d9b27fe344e1baee06",
              name: "Administrator",
              meta: catalogue(
                "admin",
                "Can access the full account, except for membership management and billing.",
              ),
            },
          ],
          resource_groups: [accountWide("00000000000000000000000000000000")],
        },
      ],
      roles: [
        { id: "05784afa30c1afe1440e79d9351c7430", name: "Administrator", description: "…", permissions: {} },
        { id: "e58cefd75d7adae0b761796c28815e5c", name: "Billing", description: "…", permissions: {} },
        {
          id: "9e9f2d6b0e1c4a3f8d7c6b5a49382716",
          name: "Cloudflare Access",
          description: "…",
          permissions: {},
        },
        { id: "3030687196b94b638145a3953da2b699", name: "Log Share", description: "…", permissions: {} },
      ],
    },
  ];
}

/** The recorded page's envelope: key order and result_info as served (total_pages present). */
export function recordedMembersPage(members: unknown[]) {
  return {
    result: members,
    result_info: {
      page: 1,
      per_page: 20,
      total_pages: 1,
      count: members.length,
      total_count: members.length,
    },
    success: true,
    errors: [],
    messages: [],
  };
}

/**
 * The legacy Go SDK's fixture (cloudflare/cloudflare-go v0.116.0, account_members_test.go): an
 * invitation `code`, role grants as `{read, edit}`, no policies, and result_info without
 * `total_pages`.
 */
export function goSdkPage() {
  return {
    success: true,
    errors: [],
    messages: [],
    result: [
      {
        id: "4536bcfad5faccb111b47003c79917fa",
        code: "05dd05cce12bbed97c0d87cd78e89bc2fd41a6cee72f27f6fc84af2e45c0fac0",
        user: {
          id: "7c5dae5552338874e5053f2534d2767a",
          first_name: "John",
          last_name: "Appleseed",
          email: "user@example.com",
          two_factor_authentication_enabled: false,
        },
        status: "accepted",
        roles: [
          {
            id: "3536bcfad5faccb999b47003c79917fb",
            name: "Account Administrator",
            description: "Administrative access to the entire Account",
            permissions: { analytics: { read: true, edit: true }, billing: { read: true, edit: false } },
          },
        ],
      },
    ],
    result_info: { page: 1, per_page: 20, count: 1, total_count: 1 },
  };
}

/**
 * A policy as the official TypeScript SDK types it (cloudflare/cloudflare-typescript
 * src/resources/shared.ts Member.Policy): `access` allow|deny, resource groups whose scope lists
 * the zones a grant is limited to.
 */
export function policy(
  access: "allow" | "deny",
  groups: [id: string, name: string][],
  zones: string[] | "account",
  accountId = ACCOUNT,
) {
  return {
    id: crypto.randomUUID().replace(/-/g, ""),
    access,
    permission_groups: groups.map(([id, name]) => ({
      id,
      name,
      meta: catalogue(name.toLowerCase(), `${name}.`),
    })),
    resource_groups: [
      {
        id: crypto.randomUUID().replace(/-/g, ""),
        name: zones === "account" ? accountScope(accountId) : "Some zones",
        meta: { editable: "false" },
        scope: {
          key: accountScope(accountId),
          objects:
            zones === "account"
              ? [{ key: "*" }]
              : zones.map((zone) => ({ key: `com.cloudflare.api.account.zone.${zone}` })),
        },
      },
    ],
  };
}

/** Error bodies quoted from live responses in public threads. */
export const ERRORS = {
  /** An IP-filtered token: jeessy2/ddns-go#1341 (HTTP 403). */
  ipFiltered: {
    status: 403,
    body: {
      success: false,
      errors: [{ code: 9109, message: "Cannot use the access token from location: 198.51.100.23" }],
      messages: [],
      result: null,
    },
  },
  /** A missing permission, 9109 form: kriasoft/cloudflare-client userTokens.test.ts snapshot. */
  unauthorized9109: {
    status: 403,
    body: {
      errors: [{ code: 9109, message: "Unauthorized to access requested resource" }],
      messages: [],
      result: null,
      success: false,
    },
  },
  /** A missing permission, 10000 form, without `messages` or `result`: cloudflare/cloudflare-docs#13405. */
  authentication10000: {
    status: 403,
    body: { success: false, errors: [{ code: 10000, message: "Authentication error" }] },
  },
  /** An unroutable account id: 7003 with 7000, reported at 404 and at 400. */
  noRoute: (status: 400 | 404, path: string) => ({
    status,
    body: {
      success: false,
      errors: [
        { code: 7003, message: `Could not route to ${path}, perhaps your object identifier is invalid?` },
        { code: 7000, message: "No route for that URI" },
      ],
      messages: [],
      result: null,
    },
  }),
  /** An account-owned token on GET /accounts: edgefirst-dev/starter#3 (HTTP 400). */
  accountTokenListing: {
    status: 400,
    body: {
      success: false,
      errors: [{ code: 1001, message: "List accounts endpoint does not support account owned tokens." }],
      messages: [],
      result: null,
    },
  },
};
