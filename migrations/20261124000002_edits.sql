-- The audit trail of edits made through riskatlas, one row per edit; each committed
-- edit also sends NOTIFY riskatlas_edits with its seq, so every server on this database
-- applies it within moments.
CREATE TABLE riskatlas_edits (
    seq    bigserial PRIMARY KEY,
    at     timestamptz NOT NULL DEFAULT now(),
    who    text NOT NULL,
    layer  text NOT NULL,
    op     text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    id     text NOT NULL,
    before jsonb,
    after  jsonb
);
