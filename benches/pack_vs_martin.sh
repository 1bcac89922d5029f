#!/usr/bin/env bash
# Map packs: `riskatlas pack` against `martin-cp` copying the same layers from PostGIS
# into an MBTiles, side by side, and Martin serving riskatlas's PMTiles archive.
#   benches/pack_vs_martin.sh [--short] [--scale S] [--maxzoom Z]
#
# 1. builds riskatlas (release; the dev profile with --short) and, once, Martin 1.14.0
#    with its PostGIS, PMTiles and MBTiles backends into a cache folder (about 11
#    minutes on 2 cores; --short never builds it and says so when it is missing);
# 2. generates the demo county at --scale S (default 100, with --short 1), imports the
#    folder into a throwaway PostGIS (scripts/with-postgis) with `riskatlas import DIR
#    --postgis`, and makes one typed table per layer for Martin
#    (benches/tiles/typed_tables.sql, as the tile benchmark does);
# 3. packs every layer at z0–Z (default 14) with `riskatlas pack` (from the folder, both
#    cores, the archive's own generalised low zooms, contacts as stored as martin-cp
#    copies them) and with `martin-cp` (every layer
#    as one composite source, gzip, concurrency 2, the layers' bounds), timing each with
#    GNU time: wall clock, peak memory, archive size, tile count, largest tile, tiles
#    per second;
# 4. serves riskatlas's archive with Martin's PMTiles source and checks, on a sample of
#    its tiles, that Martin answers each tile as riskatlas's own server answers it for
#    the same layers (decoded with benches/tiles/check.py's MVT reader, feature for
#    feature): a reader no one here wrote finds the same map in the archive.
#
# Environment:
#   RISKATLAS_BENCH_SCALE   demo scale (100 / 1)
#   RISKATLAS_BENCH_CHECK   tiles the serving check samples (300 / 50)
#   MARTIN_ROOT             Martin's install root (~/.cache/riskatlas-bench/martin-full)
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

if [ "${1:-}" != __in_postgis ]; then
  short=0
  scale=
  maxzoom=14
  while [ $# -gt 0 ]; do
    case $1 in
      --short) short=1 ;;
      --scale) scale=$2; shift ;;
      --maxzoom) maxzoom=$2; shift ;;
      *) echo "usage: $0 [--short] [--scale S] [--maxzoom Z]" >&2; exit 2 ;;
    esac
    shift
  done
  export short maxzoom
  export scale=${scale:-${RISKATLAS_BENCH_SCALE:-$([ $short = 1 ] && echo 1 || echo 100)}}
  started=$(date +%s)
  echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) CPUs), scale $scale, z0–z$maxzoom$([ $short = 1 ] && echo ', short mode')"
  for tool in psql python3 curl; do
    command -v $tool >/dev/null || { echo "pack_vs_martin: needs $tool" >&2; exit 1; }
  done
  [ -x /usr/bin/time ] || { echo "pack_vs_martin: needs GNU time (Debian: apt-get install time)" >&2; exit 1; }

  profile=$([ $short = 1 ] && echo dev || echo release)
  cargo build --quiet --profile $profile --bin riskatlas
  export bin
  bin=$(realpath "${CARGO_TARGET_DIR:-target}/$([ $profile = dev ] && echo debug || echo release)/riskatlas")

  find_martin $short "demo, import and its pack"

  run_in_postgis "$0"
fi

# ---- inside scripts/with-postgis: DATABASE_URL, PGHOST, PGPORT, PGUSER, PGDATABASE set ----
psql() { command psql -v ON_ERROR_STOP=1 "$@"; }
check_tiles=${RISKATLAS_BENCH_CHECK:-$([ $short = 1 ] && echo 50 || echo 300)}
trap stop_servers EXIT
# Runs a command under GNU time, its output to LOG; sets `secs` (wall clock) and
# `peak_mb` (peak resident memory).
timed() { # LOG COMMAND...
  local log=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" > "$log" 2>&1 || {
    echo "pack_vs_martin: $* failed:" >&2; tail -n 20 "$log" >&2; exit 1
  }
  read -r secs peak_kb < "$work/time"
  peak_mb=$(( peak_kb / 1024 ))
}

echo "== importing the folder into PostGIS, typed tables for Martin"
"$bin" import "$work/demo" --postgis "$DATABASE_URL" 2>&1 | tail -n 1 | sed 's/^/   /'
psql -q -f benches/tiles/typed_tables.sql
layers=$(psql -tAc "SELECT string_agg(id, ',' ORDER BY position) FROM riskatlas_layers")
bounds=$(psql -tAc "SELECT concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) FROM (SELECT ST_Extent(geom) AS e FROM riskatlas_features) t")
echo "   layers: $layers; bounds $bounds"

echo "== riskatlas pack, every layer, z0–z$maxzoom"
# --with-contacts: the served side below is the local admin (loopback, no users), who
# reads contacts in full; martin-cp copies them as stored too.
timed "$work/pack.log" "$bin" pack --data "$work/demo" --out "$work/riskatlas.pmtiles" --maxzoom "$maxzoom" --with-contacts
ra_s=$secs
python3 benches/pack/archive_stats.py pmtiles "$work/riskatlas.pmtiles" "$secs" "$peak_mb" riskatlas

if [ -n "$martin" ]; then
  echo "== martin-cp, the same layers as one composite source, z0–z$maxzoom, gzip, concurrency 2"
  martin_postgres_yaml > "$work/martin-cp.yaml"
  timed "$work/martin-cp.log" "$MARTIN_ROOT/bin/martin-cp" --config "$work/martin-cp.yaml" \
    --source "$layers" --output-file "$work/martin.mbtiles" --mbtiles-type flat \
    --min-zoom 0 --max-zoom "$maxzoom" --bbox "$bounds" --encoding gzip --concurrency 2 --skip-agg-tiles-hash
  mc_s=$secs
  python3 benches/pack/archive_stats.py mbtiles "$work/martin.mbtiles" "$secs" "$peak_mb" martin-cp
  awk -v r="$ra_s" -v m="$mc_s" 'BEGIN { printf "   riskatlas pack / martin-cp wall time: %.3f (target: below 1)\n", r / m }'

  echo "== Martin serving riskatlas's archive: the same tiles as riskatlas serves"
  ra_port=$(free_port)
  "$bin" serve --data "$work/demo" --bind "127.0.0.1:$ra_port" > "$work/serve.log" 2>&1 &
  pids+=("$!")
  wait_for "http://127.0.0.1:$ra_port/api/health" "$!" riskatlas "$work/serve.log"
  mt_port=$(free_port)
  cat > "$work/martin-serve.yaml" <<YAML
listen_addresses: 127.0.0.1:$mt_port
pmtiles:
  sources:
    county: $work/riskatlas.pmtiles
YAML
  "$martin" --config "$work/martin-serve.yaml" > "$work/martin-serve.log" 2>&1 &
  pids+=("$!")
  wait_for "http://127.0.0.1:$mt_port/health" "$!" Martin "$work/martin-serve.log"
  python3 benches/pack/same_tiles.py --archive "$work/riskatlas.pmtiles" --sample "$check_tiles" \
    --martin "http://127.0.0.1:$mt_port/county" --riskatlas "http://127.0.0.1:$ra_port/tiles/$layers"
  stop_servers
fi
