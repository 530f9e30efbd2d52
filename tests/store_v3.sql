-- SPDX-License-Identifier: MIT
-- The store's format 3 (user_version 3), as the code of e6b1c58 created it:
-- every store held both programs' tables. it_migrate.sh builds a format-3
-- device store from this and the rows of a live device, then opens it with
-- the current programs, which must upgrade it in place (DESIGN §14).
PRAGMA page_size = 16384;
PRAGMA journal_mode = WAL;
CREATE TABLE meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE rec(id INTEGER PRIMARY KEY, rid BLOB NOT NULL UNIQUE, ent INTEGER NOT NULL, commune TEXT, conflicted INTEGER NOT NULL, st BLOB NOT NULL);
CREATE TABLE conflict(rid BLOB NOT NULL, field INTEGER NOT NULL, PRIMARY KEY(rid, field)) WITHOUT ROWID;
CREATE VIRTUAL TABLE search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')
;
CREATE TABLE search_dirty(id INTEGER PRIMARY KEY);
CREATE TABLE outbox(seq INTEGER PRIMARY KEY, hlc INTEGER NOT NULL, rid BLOB NOT NULL, op BLOB NOT NULL, error TEXT, message TEXT);
CREATE INDEX outbox_rid ON outbox(rid);
CREATE TABLE inbox(id INTEGER PRIMARY KEY, rid BLOB NOT NULL, hlc INTEGER NOT NULL, node BLOB NOT NULL, seq INTEGER NOT NULL, op BLOB NOT NULL, UNIQUE(node, seq));
CREATE INDEX inbox_rid ON inbox(rid);
CREATE TABLE commune(slug TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE token(hash BLOB PRIMARY KEY, commune TEXT NOT NULL, label TEXT, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, node BLOB, pubkey BLOB) WITHOUT ROWID;
CREATE TABLE node(node BLOB PRIMARY KEY, pubkey BLOB NOT NULL, commune TEXT NOT NULL, label TEXT, enrolled_ms INTEGER NOT NULL, revoked_ms INTEGER, acked INTEGER NOT NULL DEFAULT 0, last_sync_ms INTEGER) WITHOUT ROWID;
CREATE TABLE synclog(seq INTEGER PRIMARY KEY, node BLOB NOT NULL, sig BLOB NOT NULL, received_ms INTEGER NOT NULL, body BLOB NOT NULL, hash BLOB NOT NULL);
CREATE TABLE oplog(pos INTEGER PRIMARY KEY, entry INTEGER NOT NULL, node BLOB NOT NULL, commune TEXT NOT NULL, rid BLOB NOT NULL, off INTEGER NOT NULL, len INTEGER NOT NULL);
CREATE INDEX oplog_commune ON oplog(commune, pos);
CREATE TABLE quarantine(id INTEGER PRIMARY KEY, entry INTEGER NOT NULL, node BLOB NOT NULL, seq INTEGER NOT NULL, error TEXT NOT NULL, message TEXT NOT NULL, op BLOB);
CREATE VIEW meeting AS SELECT id, rid, commune, conflicted, ds_f(st, 0) AS attendees, ds_f(st, 2) AS hamlet, ds_f(st, 3) AS held_on, ds_f(st, 4) AS kind, ds_f(st, 5) AS note, ds_f(st, 6) AS voided FROM rec WHERE ent = 0;
CREATE VIEW petition AS SELECT id, rid, commune, conflicted, ds_f(st, 0) AS category, ds_f(st, 1) AS citizen, ds_f(st, 3) AS content, ds_f(st, 4) AS due_on, ds_f(st, 5) AS escalated_to, ds_f(st, 6) AS hamlet, ds_f(st, 7) AS meeting, ds_f(st, 8) AS received_on, ds_f(st, 9) AS resolved_on, ds_f(st, 10) AS response, ds_f(st, 11) AS status, ds_f(st, 12) AS voided FROM rec WHERE ent = 1;
CREATE VIEW survey AS SELECT id, rid, commune, conflicted, ds_f(st, 0) AS attitude, ds_f(st, 1) AS comment, ds_f(st, 3) AS overall, ds_f(st, 4) AS procedure, ds_f(st, 5) AS service, ds_f(st, 6) AS taken_on, ds_f(st, 7) AS timeliness FROM rec WHERE ent = 2;
CREATE VIEW visit AS SELECT id, rid, commune, conflicted, ds_f(st, 1) AS gift_vnd, ds_f(st, 2) AS household, ds_f(st, 3) AS situation, ds_f(st, 4) AS support, ds_f(st, 5) AS visited_on, ds_f(st, 6) AS voided, ds_f(st, 7) AS volunteers FROM rec WHERE ent = 3;
PRAGMA user_version = 3;
