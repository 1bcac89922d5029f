-- One typed table per riskatlas layer for Martin, in schema `martin`: Martin publishes
-- typed columns as tile properties (not a jsonb column), so each property becomes a
-- column whose type is read from the jsonb (bigint, double precision, boolean or
-- text), the geometry in EPSG:4326, with a GiST index, analysed. Used by
-- benches/tiles_vs_martin.sh and benches/pack_vs_martin.sh.
CREATE SCHEMA martin;
DO $$
DECLARE
  l record;
  cols text;
BEGIN
  FOR l IN SELECT id FROM riskatlas_layers ORDER BY position LOOP
    SELECT string_agg(format('(props ->> %L)::%s AS %I', key, ty, key), ', ' ORDER BY key)
    INTO cols
    FROM (
      SELECT key,
             CASE WHEN bool_and(jsonb_typeof(value) = 'number') THEN
                    CASE WHEN bool_and(value::text ~ '^-?[0-9]{1,18}$')
                         THEN 'bigint' ELSE 'double precision' END
                  WHEN bool_and(jsonb_typeof(value) = 'boolean') THEN 'boolean'
                  ELSE 'text' END AS ty
      FROM riskatlas_features, jsonb_each(props)
      WHERE layer = l.id AND jsonb_typeof(value) <> 'null'
      GROUP BY key
    ) k;
    EXECUTE format('CREATE TABLE martin.%I AS SELECT %s geom::geometry(Geometry, 4326) AS geom
                    FROM riskatlas_features WHERE layer = %L',
                   l.id, coalesce(cols || ', ', ''), l.id);
    EXECUTE format('CREATE INDEX ON martin.%I USING gist (geom)', l.id);
    EXECUTE format('ANALYZE martin.%I', l.id);
  END LOOP;
END $$;
