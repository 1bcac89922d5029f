-- Warnings and call and respond: one row per event (a warning issued, a task answered,
-- a warning cancelled, a delivery attempt), the same events a data folder keeps in
-- warnings.log. Each insert sends NOTIFY riskatlas_warnings, so every server on this
-- database shows an answer within moments. `at` is the event's time in seconds since
-- 1970 as the recording server stamped it.
CREATE TABLE riskatlas_warning_events (
    seq     bigserial PRIMARY KEY,
    at      bigint NOT NULL,
    who     text NOT NULL,
    warning text NOT NULL,
    event   jsonb NOT NULL
);

CREATE INDEX riskatlas_warning_events_warning ON riskatlas_warning_events (warning);

-- One answer per task, whichever server records it first.
CREATE UNIQUE INDEX riskatlas_warning_events_one_answer
    ON riskatlas_warning_events (warning, (event -> 'answer' ->> 'task_id'))
    WHERE event ->> 'event' = 'answered';
