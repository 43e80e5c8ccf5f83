-- atelier's tables and two customers' rows: its migrations, which pynoc does not write. Run
-- as postgres in the stack's database (tests/vm/atelier.sh) once the playbook brought it up;
-- the security SQL then gives the tables to atelier_owner.
CREATE TABLE customers (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE projects (id serial PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers, name text);
CREATE TABLE assets (id serial PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers, path text);
INSERT INTO customers VALUES
    ('aaaaaaaa-0000-0000-0000-00000000000a', 'Acme'), ('bbbbbbbb-0000-0000-0000-00000000000b', 'Bolt');
INSERT INTO projects (customer_id, name) VALUES
    ('aaaaaaaa-0000-0000-0000-00000000000a', 'a1'), ('aaaaaaaa-0000-0000-0000-00000000000a', 'a2'),
    ('bbbbbbbb-0000-0000-0000-00000000000b', 'b1');
INSERT INTO assets (customer_id, path) VALUES ('bbbbbbbb-0000-0000-0000-00000000000b', 'b1/logo.svg');
