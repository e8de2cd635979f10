#!/usr/bin/env node
// Prints EXPLAIN QUERY PLAN for the main read and sync queries against a fresh local D1 with the
// project's migrations, as Markdown (pasted into docs/storage.md). Usage: node scripts/query-plans.mjs
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const state = mkdtempSync(join(tmpdir(), "connector-plans-"));
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
const run = (args) => {
  const r = spawnSync(wrangler, args, { cwd: root, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr || r.stdout);
  return r.stdout;
};

const SELECT = `SELECT ua.*, i.last_successful_sync_at FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id`;
const queries = {
  "Account list, one integration, page 1": `${SELECT} WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL ORDER BY ua.email, ua.id LIMIT 101`,
  "Account list, one integration, page n (keyset)": `${SELECT} WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND (ua.email, ua.id) > ('e', 'm') ORDER BY ua.email, ua.id LIMIT 101`,
  "Account list, status=pending, page n": `${SELECT} WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND ua.status = 'pending' AND (ua.email, ua.id) > ('e', 'm') ORDER BY ua.email, ua.id LIMIT 101`,
  "Account list, twoFactor=true": `${SELECT} WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND ua.two_factor_enabled = 1 ORDER BY ua.email, ua.id LIMIT 101`,
  "Account list with status, twoFactor, role and q": `${SELECT} WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND ua.status = 'pending' AND ua.two_factor_enabled IS NOT 1 AND instr(ua.access_names, 'x') > 0 AND (instr(lower(ua.email), 'q') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'q') > 0) ORDER BY ua.email, ua.id LIMIT 101`,
  // accountsPageQuery (src/store/user-accounts-read.ts) for q=lindqvist after a cursor, values inlined.
  "Account list, q, page n (the plan CTE and its three arms: sort, keys, walk)": `WITH plan AS MATERIALIZED (SELECT CASE WHEN (SELECT count(*) FROM (SELECT l.email AS e FROM user_accounts l INDEXED BY user_accounts_list WHERE l.integration_id = 'i' AND (l.email, l.id) > ('e', 'm') ORDER BY l.email, l.id LIMIT 202) WHERE instr(lower(e), 'lindqvist') > 0) >= 101 THEN 'walk' WHEN (SELECT h <= 1000 AND 10 * h * h <= 101 * (SELECT account_count FROM integrations WHERE id = 'i') FROM (SELECT count(*) AS h FROM (SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH '"lindqvist"' AND rowid BETWEEN (SELECT search_key FROM integrations WHERE id = 'i') * 4294967296 AND (SELECT search_key FROM integrations WHERE id = 'i') * 4294967296 + 4294967295 LIMIT 1001))) THEN 'sort' ELSE 'keys' END AS arm) SELECT * FROM (SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status, ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at, ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at, i.last_successful_sync_at AS integration_last_success FROM (SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH '"lindqvist"' AND rowid BETWEEN (SELECT search_key FROM integrations WHERE id = 'i') * 4294967296 AND (SELECT search_key FROM integrations WHERE id = 'i') * 4294967296 + 4294967295 LIMIT 1001) AS hits CROSS JOIN user_accounts ua ON ua.search_rowid = hits.r JOIN integrations i ON i.id = ua.integration_id WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND (instr(lower(ua.email), 'lindqvist') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'lindqvist') > 0) AND (ua.email, ua.id) > ('e', 'm') ORDER BY ua.email, ua.id LIMIT (SELECT CASE arm WHEN 'sort' THEN 101 ELSE 0 END FROM plan)) UNION ALL SELECT * FROM (SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status, ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at, ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at, i.last_successful_sync_at AS integration_last_success FROM (SELECT l.integration_id AS k, l.id AS d FROM user_accounts l INDEXED BY user_accounts_list WHERE l.integration_id = 'i' AND l.search_rowid IN (SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH '"lindqvist"' AND rowid BETWEEN (SELECT search_key FROM integrations WHERE id = 'i') * 4294967296 AND (SELECT search_key FROM integrations WHERE id = 'i') * 4294967296 + 4294967295) AND (l.email, l.id) > ('e', 'm') ORDER BY l.email, l.id LIMIT (SELECT CASE arm WHEN 'keys' THEN -1 ELSE 0 END FROM plan)) AS keys CROSS JOIN user_accounts ua ON ua.integration_id = keys.k AND ua.id = keys.d JOIN integrations i ON i.id = ua.integration_id WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND (instr(lower(ua.email), 'lindqvist') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'lindqvist') > 0) AND (ua.email, ua.id) > ('e', 'm') LIMIT 101) UNION ALL SELECT * FROM (SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status, ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at, ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at, i.last_successful_sync_at AS integration_last_success FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id WHERE ua.integration_id = 'i' AND ua.removed_at IS NULL AND (instr(lower(ua.email), 'lindqvist') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'lindqvist') > 0) AND (ua.email, ua.id) > ('e', 'm') ORDER BY ua.email, ua.id LIMIT (SELECT CASE arm WHEN 'walk' THEN 101 ELSE 0 END FROM plan)) ORDER BY email, id`,
  "Account list, all integrations, q, page n": `WITH plan AS MATERIALIZED (SELECT CASE WHEN (SELECT count(*) FROM (SELECT l.email AS e FROM user_accounts l INDEXED BY user_accounts_all WHERE (l.email, l.id, l.integration_id) > ('e', 'm', 'i') ORDER BY l.email, l.id, l.integration_id LIMIT 202) WHERE instr(lower(e), 'lindqvist') > 0) >= 101 THEN 'walk' WHEN (SELECT h <= 1000 AND 10 * h * h <= 101 * (SELECT sum(account_count) FROM integrations) FROM (SELECT count(*) AS h FROM (SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH '"lindqvist"' LIMIT 1001))) THEN 'sort' ELSE 'keys' END AS arm) SELECT * FROM (SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status, ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at, ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at, i.last_successful_sync_at AS integration_last_success FROM (SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH '"lindqvist"' LIMIT 1001) AS hits CROSS JOIN user_accounts ua ON ua.search_rowid = hits.r JOIN integrations i ON i.id = ua.integration_id WHERE ua.removed_at IS NULL AND (instr(lower(ua.email), 'lindqvist') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'lindqvist') > 0) AND (ua.email, ua.id, ua.integration_id) > ('e', 'm', 'i') ORDER BY ua.email, ua.id, ua.integration_id LIMIT (SELECT CASE arm WHEN 'sort' THEN 101 ELSE 0 END FROM plan)) UNION ALL SELECT * FROM (SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status, ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at, ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at, i.last_successful_sync_at AS integration_last_success FROM (SELECT l.integration_id AS k, l.id AS d FROM user_accounts l INDEXED BY user_accounts_all WHERE l.search_rowid IN (SELECT rowid AS r FROM user_account_search WHERE user_account_search MATCH '"lindqvist"') AND (l.email, l.id, l.integration_id) > ('e', 'm', 'i') ORDER BY l.email, l.id, l.integration_id LIMIT (SELECT CASE arm WHEN 'keys' THEN -1 ELSE 0 END FROM plan)) AS keys CROSS JOIN user_accounts ua ON ua.integration_id = keys.k AND ua.id = keys.d JOIN integrations i ON i.id = ua.integration_id WHERE ua.removed_at IS NULL AND (instr(lower(ua.email), 'lindqvist') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'lindqvist') > 0) AND (ua.email, ua.id, ua.integration_id) > ('e', 'm', 'i') LIMIT 101) UNION ALL SELECT * FROM (SELECT ua.integration_id, ua.id, ua.user_id, ua.email, ua.first_name, ua.last_name, ua.status, ua.roles, ua.policies, ua.two_factor_enabled, ua.api_access_enabled, ua.shape, ua.invited_at, ua.invited_by, ua.first_seen_at, ua.last_seen_at, ua.removed_at, i.last_successful_sync_at AS integration_last_success FROM user_accounts ua JOIN integrations i ON i.id = ua.integration_id WHERE ua.removed_at IS NULL AND (instr(lower(ua.email), 'lindqvist') > 0 OR instr(lower(ifnull(ua.first_name, '') || ' ' || ifnull(ua.last_name, '')), 'lindqvist') > 0) AND (ua.email, ua.id, ua.integration_id) > ('e', 'm', 'i') ORDER BY ua.email, ua.id, ua.integration_id LIMIT (SELECT CASE arm WHEN 'walk' THEN 101 ELSE 0 END FROM plan)) ORDER BY email, id, integration_id`,
  "Sync: search rowid for an integration's new members": `SELECT u.search_rowid FROM integrations k JOIN user_accounts u ON u.search_rowid BETWEEN k.search_key * 4294967296 AND k.search_key * 4294967296 + 4294967295 WHERE k.id = 'i' ORDER BY u.search_rowid DESC LIMIT 1`,
  "Account list, all integrations, page n": `${SELECT} WHERE ua.removed_at IS NULL AND (ua.email, ua.id, ua.integration_id) > ('e', 'm', 'i') ORDER BY ua.email, ua.id, ua.integration_id LIMIT 101`,
  "Sync: stored rows for the diff, page n": `SELECT id, user_id, email, first_name, last_name, status, roles, policies, two_factor_enabled, removed_at FROM user_accounts WHERE integration_id = 'i' AND id > 'm' ORDER BY id LIMIT 2000`,
  "Retention: removed user accounts": `SELECT integration_id, id FROM user_accounts WHERE removed_at IS NOT NULL AND removed_at < '2025' LIMIT 1000`,
  "Sync: claim a run (enqueue)": `UPDATE integrations SET last_sync_id = 'r' WHERE id = 'i' AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = integrations.last_sync_id AND r.status IN ('queued', 'running'))`,
  "Events feed page": `SELECT * FROM events WHERE integration_id = 'i' AND occurred_at >= '2026' AND (occurred_at, ordinal) > ('2026', 0) ORDER BY occurred_at, ordinal LIMIT 101`,
  "Retention: old events": `DELETE FROM events WHERE (integration_id, occurred_at, ordinal) IN (SELECT e.integration_id, e.occurred_at, e.ordinal FROM integrations i CROSS JOIN events e ON e.integration_id = i.id AND e.occurred_at < '2025' LIMIT 1000)`,
  "People, page n": `SELECT lower(u.email) AS person FROM user_accounts u WHERE u.email <> '' AND lower(u.email) > 'e' AND u.removed_at IS NULL GROUP BY lower(u.email) ORDER BY lower(u.email) LIMIT 101`,
  "People in one integration, page n": `SELECT lower(u.email) AS person FROM user_accounts u WHERE u.email <> '' AND lower(u.email) > 'e' AND u.integration_id = 'i' AND u.removed_at IS NULL GROUP BY lower(u.email) ORDER BY lower(u.email) LIMIT 101`,
  "A person's memberships and roster entry": `WITH page AS (SELECT 'e' AS person) SELECT * FROM page LEFT JOIN user_accounts u ON lower(u.email) = page.person AND u.email <> '' LEFT JOIN integrations i ON i.id = u.integration_id LEFT JOIN roster_people rp ON rp.upload_id = (SELECT id FROM roster_uploads WHERE state = 'current') AND rp.email = page.person`,
  "Sync runs, newest first": `SELECT * FROM sync_runs WHERE integration_id = 'i' ORDER BY queued_at DESC, id DESC LIMIT 100`,
};

try {
  run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
  for (const [title, sql] of Object.entries(queries)) {
    const out = JSON.parse(
      run([
        "d1",
        "execute",
        "DB",
        "--local",
        "--persist-to",
        state,
        "--json",
        "--command",
        `EXPLAIN QUERY PLAN ${sql}`,
      ]),
    );
    console.log(`**${title}**\n\`\`\`\n${out[0].results.map((r) => r.detail).join("\n")}\n\`\`\`\n`);
  }
} finally {
  rmSync(state, { recursive: true, force: true });
}
