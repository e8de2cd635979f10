-- The search rowid joins the two list indexes (docs/storage.md#added-by-0010_search_in_list_ordersql),
-- so a search can walk the list in order and test each entry against its index hits from the
-- index entry alone, without reading the row: a term with a few thousand hits costs those hits
-- and a walk of index entries, not a row read per walked member. search_rowid never changes after
-- the insert, so the wider entries cost no extra write; they are rewritten exactly when they were
-- before (a new member, a changed email).
DROP INDEX user_accounts_list;
CREATE INDEX user_accounts_list ON user_accounts (integration_id, email, id, search_rowid);
DROP INDEX user_accounts_all;
CREATE INDEX user_accounts_all ON user_accounts (email, id, integration_id, search_rowid);
