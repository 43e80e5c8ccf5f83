-- The ledger application's tables and two organisations' rows: its migrations, which pynoc
-- does not write. Run as postgres on the host's database `books` (lib.sh).
CREATE TABLE accounts (id serial PRIMARY KEY, org_id bigint NOT NULL, name text);
CREATE TABLE entries (id serial PRIMARY KEY, org_id bigint NOT NULL, account_id int, amount numeric);
INSERT INTO accounts (org_id, name) VALUES (1, 'cash'), (2, 'cash');
INSERT INTO entries (org_id, account_id, amount) VALUES (1, 1, 10), (1, 1, -4), (2, 2, 7);
