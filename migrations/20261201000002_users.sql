-- Users of the servers that share this database (`riskatlas users --postgis URL ...`):
-- roles, jurisdictions and argon2id hashes of their tokens and passwords, never a
-- secret in clear. The same fields as a users file.
CREATE TABLE riskatlas_users (
    name     text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 256),
    role     text NOT NULL CHECK (role IN ('viewer', 'planner', 'editor', 'admin')),
    scope    text[] NOT NULL DEFAULT '{}',
    tokens   jsonb NOT NULL DEFAULT '[]',
    password text,
    revoked  boolean NOT NULL DEFAULT false,
    updated  timestamptz NOT NULL DEFAULT now()
);

-- Settings every server on the database shares; `session_key` signs session cookies,
-- so a duty officer signed in through one server is signed in on all of them.
CREATE TABLE riskatlas_settings (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);
