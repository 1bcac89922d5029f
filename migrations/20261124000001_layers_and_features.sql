-- riskatlas store: one row per layer, one row per feature.
--
-- One features table with a layer column rather than a table per layer: a bureau adds
-- layers without DDL, every layer loads, edits and notifies through the same statements,
-- and attributes are validated against the layer's kind when riskatlas loads them (as
-- for files). Attributes are typed by JSON (numbers, strings, booleans) in `props`.
CREATE TABLE riskatlas_layers (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    kind     text NOT NULL,
    position integer NOT NULL
);

CREATE TABLE riskatlas_features (
    layer text NOT NULL REFERENCES riskatlas_layers (id) ON DELETE CASCADE,
    id    text NOT NULL,
    geom  geometry(Geometry, 4326) NOT NULL,
    props jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (layer, id)
);

CREATE INDEX riskatlas_features_geom ON riskatlas_features USING gist (geom);
