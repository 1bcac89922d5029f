#!/usr/bin/env bash
# Who-is-affected: riskatlas against PostGIS on the same data, side by side.
#   benches/impact_vs_postgis.sh
# 1. runs `cargo bench --bench impact`, which builds 1M population points and 1,000
#    hazard polygons of 50–5,000 vertices on a scaled demo county, times the overlay
#    grouped by township, and exports the same data as CSV;
# 2. loads that CSV into a throwaway PostGIS (scripts/with-postgis) with GiST indexes and
#    times two equivalent queries (per-point EXISTS, and the hazard-driven join) five
#    times each (median; RISKATLAS_BENCH_RUNS to change), printing their totals so they
#    can be checked against riskatlas's.
set -euo pipefail
cd "$(dirname "$0")/.."
export RISKATLAS_BENCH_EXPORT
RISKATLAS_BENCH_EXPORT=$(mktemp -d)
trap 'rm -rf "$RISKATLAS_BENCH_EXPORT"' EXIT

cargo bench --bench impact -- --warm-up-time 1 --measurement-time 5 2>&1 | grep -vE '^\s*$|Warming|Collecting|Analyzing|outliers|mild|severe'

scripts/with-postgis bash -c '
set -euo pipefail
d=$RISKATLAS_BENCH_EXPORT
psql -q <<SQL
CREATE TABLE points (id bigint PRIMARY KEY, lon float8, lat float8, population int, admin_code text);
CREATE TABLE villages (code text PRIMARY KEY, parent_code text);
CREATE TABLE hazards (id int PRIMARY KEY, severity int, wkt text);
\copy points FROM '"'"'$d/points.csv'"'"' CSV
\copy villages FROM '"'"'$d/villages.csv'"'"' CSV
\copy hazards FROM '"'"'$d/hazards.csv'"'"' CSV
ALTER TABLE points ADD COLUMN geom geometry(Point, 4326);
UPDATE points SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326);
ALTER TABLE hazards ADD COLUMN geom geometry(Polygon, 4326);
UPDATE hazards SET geom = ST_GeomFromText(wkt, 4326);
CREATE INDEX ON points USING gist (geom);
CREATE INDEX ON hazards USING gist (geom);
VACUUM ANALYZE;
SQL
# Two formulations an expert would try: per point, does any hazard meet it (EXISTS); and
# hazard-driven, every (hazard, point) pair from the hazards'"'"' side, deduplicated. Both
# are timed and their totals printed, so the faster one is the reference.
exists="SELECT v.parent_code AS township, count(*) AS units, sum(p.population) AS people
FROM points p JOIN villages v ON v.code = p.admin_code
WHERE EXISTS (SELECT 1 FROM hazards h WHERE ST_Intersects(h.geom, p.geom))
GROUP BY v.parent_code"
joined="SELECT v.parent_code AS township, count(*) AS units, sum(p.population) AS people
FROM (SELECT DISTINCT p.id FROM hazards h JOIN points p ON ST_Intersects(h.geom, p.geom)) hit
JOIN points p ON p.id = hit.id JOIN villages v ON v.code = p.admin_code
GROUP BY v.parent_code"
for name in exists joined; do
  query=${!name}
  echo "== PostGIS, $name formulation"
  echo "PostGIS totals: $(psql -tAc "SELECT sum(units), sum(people), count(*) FROM ($query) t" | tr "|" " ") (units, people, townships)"
  psql -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $query" | grep -E "Execution|Join|Scan" | head -8
  times=()
  for i in $(seq "${RISKATLAS_BENCH_RUNS:-5}"); do
    start=$(date +%s%N)
    psql -tAc "$query" > /dev/null
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  echo "PostGIS $name query times (ms): ${times[*]}"
  printf "%s\n" "${times[@]}" | sort -n | sed -n "$(( (${#times[@]} + 1) / 2 ))p" | xargs -I{} echo "PostGIS $name median: {} ms"
done
'
