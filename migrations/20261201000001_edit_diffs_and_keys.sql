-- Edit records that hold what changed, idempotency keys on inserts, and indexes for the
-- audit trail's pages.
--
-- `diff`: an update's before/after hold only the changed properties (and the geometry
-- when it changed), not two whole features; rows written before this migration hold
-- whole features and keep `diff = false`, so they are still replayed as they were.
ALTER TABLE riskatlas_edits ADD COLUMN diff boolean NOT NULL DEFAULT false;

-- The Idempotency-Key an insert was sent with and the SHA-256 of its request. One key per
-- user: a retry that races another server's first attempt fails on this index instead of
-- inserting twice, and is then answered with the first attempt's row.
ALTER TABLE riskatlas_edits ADD COLUMN idempotency_key text;
ALTER TABLE riskatlas_edits ADD COLUMN idempotency_request text;
CREATE UNIQUE INDEX riskatlas_edits_idempotency ON riskatlas_edits (who, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- GET /api/edits pages newest first by seq (the primary key), optionally for one layer
-- or one feature: ORDER BY seq DESC LIMIT n reads n index entries, not the table. A
-- feature's edits come by id (the layer, when given too, is checked on those few rows).
CREATE INDEX riskatlas_edits_layer ON riskatlas_edits (layer, seq);
CREATE INDEX riskatlas_edits_id ON riskatlas_edits (id, seq);
