-- The application's tables and two tenants' rows: its migrations, which pynoc does not
-- write. Run as postgres in the stack's database (run.sh), once the playbook brought it up.
CREATE TABLE detectors (id serial PRIMARY KEY, user_id uuid NOT NULL, name text);
CREATE TABLE datasets (id serial PRIMARY KEY, user_id uuid NOT NULL, name text);
CREATE TABLE detection_results (id serial PRIMARY KEY, user_id uuid NOT NULL, score real);
INSERT INTO detectors (user_id, name) VALUES
    ('aaaaaaaa-0000-0000-0000-000000000001', 'a1'), ('aaaaaaaa-0000-0000-0000-000000000001', 'a2'),
    ('bbbbbbbb-0000-0000-0000-000000000002', 'b1');
