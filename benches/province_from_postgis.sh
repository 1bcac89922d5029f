#!/usr/bin/env bash
# A province on one node, from PostGIS: the demo at --scale 8000 (about ten million
# features in 14 layers) imported into a throwaway PostGIS with `riskatlas import`, then
# served from it and from its folder, each server asked for tiles and an analysis.
#   benches/province_from_postgis.sh                 scale 8000, written first (about 25 minutes)
#   benches/province_from_postgis.sh --short         scale 2 (CI: keeps it working)
#   DEMO_DIR=/path benches/province_from_postgis.sh  a folder `riskatlas demo` wrote before
#   SCALE=200 benches/province_from_postgis.sh
#   RISKATLAS_BIN=path ...                            a riskatlas binary to run instead of building one
#   WALK_SECONDS=20                                   how long wrk walks the tiles of every zoom
# Reports, for PostGIS and for the folder: start-up (launch until /api/health answers,
# which it does once the atlas is loaded and indexed; then how long the low zooms'
# clusters took to build, which the server does while it answers), resident memory once
# loaded (before any request) and at the peak of the run
# and both per feature, a z7, z9 and z12 tile of every layer (no tile cache), tiles of
# every zoom walked by wrk (p50, p99; the largest z6–z9 tile against the budget), and
# `POST /api/impact?format=csv` over the floods of 50 years and every landslide, a row
# per township (its answer must be the same from both). Plus the import itself: wall
# time and peak memory.
# A server refuses a scenario that large by default (422, naming the work it would
# take: `--max-scenario-work`, two million pairs); these servers are started with the
# cap and the time limit raised, so that a province's worst case is measured. Its JSON
# report (every affected village with its people to call) would be about 900 MiB at
# scale 8000, which a server refuses too (`--max-response-mb`, 32): the CSV is the
# province's answer.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

if [ "${1:-}" != __in_postgis ]; then
  short=0
  [ "${1:-}" = --short ] && short=1
  if [ $short = 1 ]; then SCALE=${SCALE:-2}; else SCALE=${SCALE:-8000}; fi
  [ -x /usr/bin/time ] || { echo "province_from_postgis: needs /usr/bin/time (Debian package time; scripts/install-deps installs it)" >&2; exit 1; }
  for tool in wrk curl python3; do
    command -v $tool >/dev/null || { echo "province_from_postgis: needs $tool (scripts/install-deps installs it)" >&2; exit 1; }
  done
  profile=$([ $short = 1 ] && echo dev || echo release)
  if [ -n "${RISKATLAS_BIN:-}" ]; then
    export bin=$RISKATLAS_BIN
  else
    # Built as benches/load_vs_parse.sh builds it (with its example), so the two share
    # one build: without the example, dev-dependencies' features would differ.
    cargo build --quiet --profile $profile --locked --bin riskatlas --example load_floor
    export bin=${CARGO_TARGET_DIR:-target}/$([ $profile = dev ] && echo debug || echo release)/riskatlas
  fi
  export work
  work=$(mktemp -d)
  [ -n "${KEEP_WORK:-}" ] || trap 'rm -rf "$work"' EXIT
  export demo=${DEMO_DIR:-}
  if [ -z "$demo" ]; then
    demo=$work/demo
    echo "== writing the demo at scale $SCALE (at 8000: about 25 minutes and 3.3 GB)"
    "$bin" demo --out "$demo" --scale "$SCALE" 2>&1 | tail -n 1
  fi
  echo "== $(du -sh "$demo" | cut -f1) of layer files in $demo"
  # Not exec: this shell's EXIT trap removes $work once the database is gone.
  status=0
  scripts/with-postgis "$0" __in_postgis || status=$?
  exit $status
fi

trap stop_servers EXIT
echo "== importing every layer: riskatlas import $demo --postgis"
/usr/bin/time -f "wall=%e maxrss_kb=%M" -o "$work/import.time" \
  "$bin" import "$demo" --postgis "$DATABASE_URL" > "$work/import.log" 2>&1 || {
    echo "province_from_postgis: the import failed:" >&2; tail -n 20 "$work/import.log" >&2; exit 1; }
echo "   $(cat "$work/import.time"), database $(psql -tAc "SELECT pg_size_pretty(pg_database_size(current_database()))")"

scenario='{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}},
  {"layer": "landslides"}], "exposure": "population", "group_by": "township"}'

now() { date +%s.%N; }

# The tiles asked for, from the atlas's layers and bbox (`/api/layers`, read once):
# $work/$NAME-middle.txt, the tile of every layer at the middle of the atlas at z7 and z9
# (generalised) and z12 (exact); and $work/tiles-$NAME.txt, every zoom, cold: z6–z9 every
# tile over the bbox, or 1,000 drawn at random a zoom; z10–z15 the tiles of 1,000 random
# points a zoom.
plan_tiles() { # URL NAME
  python3 - "$1" "$work/$2-middle.txt" "$work/tiles-$2.txt" <<'PY'
import json, math, random, sys, urllib.request
url, middle_out, walk_out = sys.argv[1:]
with urllib.request.urlopen(url + "/api/layers") as r:
    catalogue = json.load(r)
layers = ",".join(l["id"] for l in catalogue["layers"])
w, s, e, n = catalogue["bbox"]
def tile(z, lon, lat):
    return (int((lon + 180) / 360 * 2**z),
            int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z))
def path(z, x, y):
    return f"/tiles/{layers}/{z}/{x}/{y}"
with open(middle_out, "w") as f:
    for z in (7, 9, 12):
        f.write(f"{z} {path(z, *tile(z, (w + e) / 2, (s + n) / 2))}\n")
rng = random.Random(7)
paths = []
for z in range(6, 10):
    (x0, y0), (x1, y1) = tile(z, w, n), tile(z, e, s)
    every = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    paths += [path(z, x, y) for x, y in rng.sample(every, min(1000, len(every)))]
low = len(paths)
for z in range(10, 16):
    paths += [path(z, *tile(z, rng.uniform(w, e), rng.uniform(s, n))) for _ in range(1000)]
rng.shuffle(paths)
with open(walk_out, "w") as f:
    f.write("\n".join(paths) + "\n")
print(f"   {len(paths)} tiles listed: {low} at z6–z9, {len(paths) - low} at z10–z15", file=sys.stderr)
PY
}

# The list walked by wrk for $walk_seconds (benches/tiles/walk.lua) with the tile cache
# off, 2 threads and 2 connections: one request a core, so the latency is a tile's own
# and not a queue's (with 8 connections on 2 cores each request also waits for about 3
# others); then each z6–z9 tile of the list fetched once, for the largest size.
walk_seconds=${WALK_SECONDS:-20}
walk_tiles() { # URL NAME
  local out
  out=$(wrk -t2 -c2 -d"${walk_seconds}s" --timeout 60s -s benches/tiles/walk.lua "$1" -- "$work/tiles-$2.txt" | grep '^RESULT')
  echo "   wrk: ${out#RESULT }"
  walk=$(sed -E 's/.*p50_ms=([0-9.]+) p99_ms=([0-9.]+).*non200=([0-9]+).*/walk_p50_ms=\1 walk_p99_ms=\2 walk_non200=\3/' <<<"$out")
  largest=$(grep -E '/[6-9]/[0-9]+/[0-9]+$' "$work/tiles-$2.txt" | python3 -c '
import sys, urllib.request
largest = 0
for path in sys.stdin.read().split():
    with urllib.request.urlopen(sys.argv[1] + path) as r:
        largest = max(largest, len(r.read()))
print(largest)' "$1")
}
measure_server() { # NAME SERVE-ARGS...
  local name=$1; shift
  local port t0 t1 pid
  port=$(free_port)
  t0=$(now)
  RUST_LOG=info "$bin" serve "$@" --bind "127.0.0.1:$port" --tile-cache-mb 0 \
    --max-scenario-work 1000000000 --analysis-timeout 1800s > "$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_for "http://127.0.0.1:$port/api/health" "$pid" "riskatlas ($name)" "$work/$name.log"
  t1=$(now)
  # The server answers once the atlas is loaded and indexed; the low zooms' clusters
  # are built beside it from then on (a low-zoom tile waits for its layers'), and the
  # tiles below are timed once they are.
  for _ in $(seq 1 1200); do grep -q "low zooms generalised" "$work/$name.log" && break; sleep 0.5; done
  grep -q "low zooms generalised" "$work/$name.log" || { echo "province_from_postgis: $name never logged its low zooms generalised" >&2; exit 1; }
  local generalised loaded
  generalised=$(grep -o 'low zooms generalised.*' "$work/$name.log" | grep -o 'ms=[0-9.]*' | head -n 1)
  # Resident memory once loaded, indexed and generalised, before any request.
  loaded=$(awk '/^VmRSS/ {print "loaded_kb=" $2}' "/proc/$pid/status")
  local url=http://127.0.0.1:$port
  plan_tiles "$url" "$name"
  local tiles="" z path out
  while read -r z path; do
    out=$(curl -fsS -o "$work/$name-z$z.mvt" -w '%{http_code} %{time_total}' "$url$path")
    tiles="$tiles z$z ${out#* }s $(stat -c %s "$work/$name-z$z.mvt")B;"
  done < "$work/$name-middle.txt"
  walk_tiles "$url" "$name"
  local impact
  impact=$(curl -sS -o "$work/$name-impact.csv" -w '%{http_code} %{time_total}' -X POST "$url/api/impact?format=csv" \
    -H 'content-type: application/json' -d "$scenario" --max-time 1800)
  if [ "${impact% *}" != 200 ]; then
    echo "province_from_postgis: POST /api/impact answered ${impact% *} ($name): $(head -c 600 "$work/$name-impact.csv")" >&2
    exit 1
  fi
  impact=${impact#* }
  local status
  status=$(grep -E '^(VmHWM|VmRSS)' "/proc/$pid/status" | awk '{sub(":", "", $1); printf "%s=%s ", $1, $2}')
  stop_servers
  echo "$name startup=$(python3 -c "print(round($t1 - $t0, 2))") generalised_$generalised $loaded $status $walk largest_low_tile=$largest tiles=[$tiles] impact_s=$impact" | tee -a "$work/results"
}

echo "== serving from PostGIS, then from the folder (each started fresh, tile cache off)"
measure_server postgis --postgis "$DATABASE_URL"
measure_server folder --data "$demo"

python3 - "$work" <<'PY'
import json, re, sys
sys.path.insert(0, "benches/tiles")
from check import decode_tile  # the tile benchmark's own MVT reader
work = sys.argv[1]
# Features' ids are their positions in a layer, which follow the order they were read
# in (a file's order, or the database's): tiles are compared as multisets of features
# (attributes, geometry type, first position and box).
def features(path):
    return {name: sorted(map(repr, fs)) for name, fs in decode_tile(open(path, "rb").read()).items()}
same_tiles = all(features(f"{work}/postgis-z{z}.mvt") == features(f"{work}/folder-z{z}.mvt") for z in (7, 9, 12))
BUDGET = 500 * 1024  # the server's TILE_BUDGET, 500 KB before gzip
impact = {n: open(f"{work}/{n}-impact.csv", encoding="utf-8").read() for n in ("postgis", "folder")}
same_impact = impact["postgis"] == impact["folder"]
print(f"impact: {impact['folder'].count(chr(10)) - 1:,} townships affected, {len(impact['folder'].encode()):,} bytes of CSV")
over_budget = False
for line in open(f"{work}/results"):
    name = line.split()[0]
    kv = dict(re.findall(r"(\w+)=([\d.]+)", line))
    hwm, loaded = int(kv["VmHWM"]) * 1024, int(kv["loaded_kb"]) * 1024
    tiles = re.search(r"tiles=\[(.*)\]", line).group(1)
    print(f"{name:8} start-up {float(kv['startup']):7.1f} s (low zooms {float(kv['generalised_ms']) / 1000:.1f} s more)   loaded {loaded / 2**30:5.2f} GiB   peak {hwm / 2**30:5.2f} GiB   impact {float(kv['impact_s']) * 1000:8.0f} ms")
    print(f"{'':8} tiles:{tiles}")
    print(f"{'':8} every zoom, cold (wrk): p50 {float(kv['walk_p50_ms']):.2f} ms, p99 {float(kv['walk_p99_ms']):.2f} ms"
          f" (target < 50), {kv['walk_non200']} not 200/204; largest z6–z9 tile {int(kv['largest_low_tile']):,} bytes (budget {BUDGET:,})")
    over_budget = over_budget or int(kv["largest_low_tile"]) > BUDGET or int(kv["walk_non200"]) > 0
print("the same tiles from PostGIS and from the folder:", "yes" if same_tiles else "NO")
print("the same impact report from PostGIS and from the folder:", "yes" if same_impact else "NO")
sys.exit(0 if same_tiles and same_impact and not over_budget else 1)
PY
imported=$(psql -tAc "SELECT count(*) FROM riskatlas_features")
echo "features in PostGIS: $imported"
while read -r name rest; do
  loaded=$(sed -E 's/.*loaded_kb=([0-9]+).*/\1/' <<<"$rest")
  hwm=$(sed -E 's/.*VmHWM=([0-9]+).*/\1/' <<<"$rest")
  echo "$name: $(( loaded * 1024 / imported )) bytes a feature once loaded, $(( hwm * 1024 / imported )) at the peak of the run"
done < "$work/results"
