-- Members as the real Cloudflare API sends them (docs/cloudflare.md):
-- - api_access_enabled: Enterprise per-member API access (NULL when Cloudflare does not say).
-- - shape: version of the stored member format (MEMBER_SHAPE in src/domain/member.ts). Rows of
--   an older shape keep serving as they are; the next sync rewrites them in the current format
--   (policies reduced to what decides access, role filter names without denied grants) without
--   recording the rewrite as a change.
-- A member without any email is stored with email '' (served as null), so keyset paging on
-- (email, id) keeps working.
ALTER TABLE user_accounts ADD COLUMN api_access_enabled INTEGER;
ALTER TABLE user_accounts ADD COLUMN shape INTEGER NOT NULL DEFAULT 1;
