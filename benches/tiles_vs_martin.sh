#!/usr/bin/env bash
# Vector tiles: riskatlas against Martin on the same PostGIS data, side by side.
#   benches/tiles_vs_martin.sh [--short] [--scale S]
#
# 1. builds riskatlas and examples/bare_tiles.rs (release; the dev profile with --short)
#    and, once, Martin 1.14.0 with its PostGIS, PMTiles and MBTiles backends (the map-pack
#    benchmark uses the same build) into a cache folder (about
#    11 minutes on 2 cores; --short never builds it and says so when it is missing);
# 2. generates the demo county at --scale S (default 200, with --short 2), imports
#    every layer into a throwaway PostGIS (scripts/with-postgis) with `riskatlas
#    import`, and copies each layer into a typed table for Martin (`martin.<layer>`:
#    one column per property, its type read from the jsonb, geometry in EPSG:4326,
#    GiST index, ANALYZE);
# 3. serves both from that database on loopback: `riskatlas serve --postgis`, and
#    Martin publishing the `martin` schema with buffer 64 and extent 4096, as riskatlas;
# 4. lists the distinct tiles with data, z6–z9 and z10–z15 apart: a tile is listed
#    when a vertex of some feature lies in it (computed at z15 in PostGIS, parents by
#    shifting), shuffled in a fixed order; the single-layer list the same from one
#    layer's vertices;
# 5. checks on a sample that both servers send the same features (benches/tiles/
#    check.py says what "the same" means: attribute rows where riskatlas draws a layer
#    exactly, point counts where it generalises);
# 6. runs wrk (benches/tiles/walk.lua walks the list) for each case, the servers
#    taking turns round by round (which goes first moves along every round): caches
#    off (riskatlas --tile-cache-mb 0, Martin cache size 0), then caches on (256 MB of
#    tiles each) over a subset of the list fetched once beforehand, with a third
#    server beside them: a bare axum handler answering the same bytes from a hash map
#    (examples/bare_tiles.rs), and a fourth: the same handler sending riskatlas's
#    headers too. No compression is asked for, so all send plain MVT;
# 7. prints p50, p99 and requests/s per case, the ratios riskatlas / Martin and
#    riskatlas / bare handler, and whether each target of the issue is met.
#
# Environment (defaults for the full run / --short):
#   RISKATLAS_BENCH_SCALE        demo scale (200 / 2)
#   RISKATLAS_BENCH_SECONDS      seconds per wrk round (10 / 2)
#   RISKATLAS_BENCH_ROUNDS       rounds per case and server (3 / 1)
#   RISKATLAS_BENCH_CONNECTIONS  wrk connections (8), on 2 threads
#   RISKATLAS_BENCH_LAYER        the single-layer case's layer (villages)
#   RISKATLAS_BENCH_TILES        at most this many tiles per list (20000)
#   RISKATLAS_BENCH_WARM_TILES   tiles in the caches-on subset (1000 / 100)
#   RISKATLAS_BENCH_CHECK        tiles the equality check samples per band (200 / 20)
#   MARTIN_ROOT                  Martin's install root (~/.cache/riskatlas-bench/martin-full)
#   RISKATLAS_BENCH_PROFILE      the cargo profile to build (release / dev)
#   RISKATLAS_BIN                a riskatlas binary to run instead of the one built
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
here=benches/tiles

if [ "${1:-}" != __in_postgis ]; then
  short=0
  scale=
  while [ $# -gt 0 ]; do
    case $1 in
      --short) short=1 ;;
      --scale) scale=$2; shift ;;
      *) echo "usage: $0 [--short] [--scale S]" >&2; exit 2 ;;
    esac
    shift
  done
  export short
  export scale=${scale:-${RISKATLAS_BENCH_SCALE:-$([ $short = 1 ] && echo 2 || echo 200)}}
  started=$(date +%s)
  echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) CPUs), scale $scale$([ $short = 1 ] && echo ', short mode')"

  for tool in wrk psql python3; do
    command -v $tool >/dev/null || { echo "tiles_vs_martin: needs $tool (Debian: apt-get install wrk postgresql-client python3)" >&2; exit 1; }
  done

  profile=${RISKATLAS_BENCH_PROFILE:-$([ $short = 1 ] && echo dev || echo release)}
  # One command for both: built apart, the example's dev-dependencies would change the
  # features of shared crates, and each build would undo the other.
  cargo build --quiet --profile $profile --bin riskatlas --example bare_tiles
  out=${CARGO_TARGET_DIR:-target}/$([ "$profile" = dev ] && echo debug || echo "$profile")
  export bin bare
  bin=$(realpath "${RISKATLAS_BIN:-$out/riskatlas}")
  bare=$(realpath "$out/examples/bare_tiles")

  find_martin $short "demo, import, tile lists, its check and a wrk round"

  run_in_postgis "$0"
fi

# ---- inside scripts/with-postgis: DATABASE_URL, PGHOST, PGPORT, PGUSER, PGDATABASE set ----
psql() { command psql -v ON_ERROR_STOP=1 "$@"; }
seconds=${RISKATLAS_BENCH_SECONDS:-$([ $short = 1 ] && echo 2 || echo 10)}
rounds=${RISKATLAS_BENCH_ROUNDS:-$([ $short = 1 ] && echo 1 || echo 3)}
connections=${RISKATLAS_BENCH_CONNECTIONS:-8}
single=${RISKATLAS_BENCH_LAYER:-villages}
max_tiles=${RISKATLAS_BENCH_TILES:-20000}
warm_tiles=${RISKATLAS_BENCH_WARM_TILES:-$([ $short = 1 ] && echo 100 || echo 1000)}
check_tiles=${RISKATLAS_BENCH_CHECK:-$([ $short = 1 ] && echo 20 || echo 200)}

trap stop_servers EXIT



echo "== importing every layer into PostGIS with riskatlas import"
t0=$(date +%s)
python3 - "$work/demo" <<'PY'
import csv, io, json, os, subprocess, sys, tomllib
demo = sys.argv[1]
atlas = tomllib.load(open(os.path.join(demo, "atlas.toml"), "rb"))
for layer in atlas["layer"]:
    path = os.path.join(demo, layer["file"])
    # The manifest's [layer.fields] renames (source field -> name, `id` included) are
    # applied to the file first, so the layer comes out as a folder load makes it. (Written
    # when `import --map` took only the kind's attributes; `riskatlas import DIR
    # --postgis URL` now does all of this in one command, but the measured runs in
    # benches/README.md were made this way.)
    rename = {source: name for name, source in layer.get("fields", {}).items()}
    if rename and path.endswith(".geojson"):
        data = json.load(open(path, encoding="utf-8"))
        for f in data["features"]:
            props = f.get("properties") or {}
            f["properties"] = {rename.get(k, k): v for k, v in props.items()}
            if "id" in f["properties"]:
                f["id"] = f["properties"].pop("id")
        path = path[: -len(".geojson")] + ".renamed.geojson"
        json.dump(data, open(path, "w", encoding="utf-8"), ensure_ascii=False)
    elif rename and path.endswith(".csv"):
        text = open(path, encoding="utf-8").read()
        header, rest = text.split("\n", 1)
        header = ",".join(rename.get(h, h) for h in next(csv.reader([header])))
        path = path[: -len(".csv")] + ".renamed.csv"
        open(path, "w", encoding="utf-8").write(header + "\n" + rest)
    cmd = [os.environ["bin"], "import", path, "--layer", layer["id"], "--kind", layer["kind"],
           "--name", layer["name"], "--postgis", os.environ["DATABASE_URL"]]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"import of {layer['id']} failed:\n{done.stderr}")
    print("   " + done.stderr.strip().splitlines()[-1].split(" to postgres")[0])
PY
echo "   imported in $(( $(date +%s) - t0 )) s"

echo "== one typed table per layer for Martin (schema martin)"
t0=$(date +%s)
psql -q -f "$here/typed_tables.sql"
layers=$(psql -tAc "SELECT string_agg(id, ',' ORDER BY position) FROM riskatlas_layers")
psql -tAc "SELECT layer || ': ' || count(*) FROM riskatlas_features GROUP BY layer, (SELECT position FROM riskatlas_layers WHERE id = layer) ORDER BY 1" | paste -sd' ' | fold -s -w 100 | sed 's/^/   /'
echo "   tables made in $(( $(date +%s) - t0 )) s; layers: $layers"

echo "== tile lists: distinct tiles holding a vertex of some feature"
t0=$(date +%s)
psql -q <<'SQL'
-- Web Mercator tile indices at z15 of every vertex; coarser zooms by shifting.
CREATE TABLE bench_z15 AS
SELECT DISTINCT layer,
       least(32767, greatest(0, floor((ST_X(p) + 20037508.342789244) / (40075016.68557849 / 32768))))::int AS x,
       least(32767, greatest(0, floor((20037508.342789244 - ST_Y(p)) / (40075016.68557849 / 32768))))::int AS y
FROM (SELECT layer, (ST_DumpPoints(ST_Transform(geom, 3857))).geom AS p FROM riskatlas_features) v;
SQL
tile_list() { # LAYER_FILTER MINZ MAXZ FILE
  psql -tAc "SELECT z || '/' || x || '/' || y FROM (
      SELECT DISTINCT z, x >> (15 - z) AS x, y >> (15 - z) AS y
      FROM bench_z15, generate_series($2, $3) AS z WHERE $1) t
    ORDER BY md5(z || '/' || x || '/' || y) LIMIT $max_tiles" > "$4"
}
tile_list true 10 15 "$work/high.txt"
tile_list true 6 9 "$work/low.txt"
tile_list "layer = '$single'" 10 15 "$work/single.txt"
zooms() { cut -d/ -f1 "$1" | sort -n | uniq -c | awk '{printf "z%s %d, ", $2, $1}' | sed 's/, $//'; }
echo "   z10–z15: $(wc -l < "$work/high.txt") tiles ($(zooms "$work/high.txt"))"
echo "   z6–z9:   $(wc -l < "$work/low.txt") tiles ($(zooms "$work/low.txt"))"
echo "   $single alone, z10–z15: $(wc -l < "$work/single.txt") tiles"
echo "   (lists capped at $max_tiles, RISKATLAS_BENCH_TILES; made in $(( $(date +%s) - t0 )) s)"
head -n "$warm_tiles" "$work/high.txt" > "$work/warm-high.txt"
cp "$work/low.txt" "$work/warm-low.txt"

start_riskatlas() { # CACHE_MB
  ra_port=$(free_port)
  "$bin" serve --postgis "$DATABASE_URL" --bind "127.0.0.1:$ra_port" --tile-cache-mb "$1" \
    > "$work/riskatlas-$1.log" 2>&1 &
  ra_pid=$!
  pids+=("$ra_pid")
  ra_url=http://127.0.0.1:$ra_port
  wait_for "$ra_url/api/health" "$ra_pid" riskatlas "$work/riskatlas-$1.log"
}

start_martin() { # cold|warm
  [ -n "$martin" ] || return 0
  mt_port=$(free_port)
  local cache
  if [ "$1" = cold ]; then cache="size_mb: 0"; else cache="size_mb: 512"; fi
  {
    printf 'listen_addresses: 127.0.0.1:%s\ncache:\n  %s\n' "$mt_port" "$cache"
    martin_postgres_yaml
  } > "$work/martin-$1.yaml"
  "$martin" --config "$work/martin-$1.yaml" > "$work/martin-$1.log" 2>&1 &
  mt_pid=$!
  pids+=("$mt_pid")
  mt_url=http://127.0.0.1:$mt_port
  wait_for "$mt_url/health" "$mt_pid" Martin "$work/martin-$1.log"
  local catalog
  catalog=$(curl -fsS "$mt_url/catalog")
  for l in ${layers//,/ }; do
    grep -q "\"$l\"" <<<"$catalog" || { echo "tiles_vs_martin: Martin does not publish $l: $catalog" >&2; exit 1; }
  done
}

paths() { # LIST SERVER LAYERS
  if [ "$2" != martin ]; then sed "s|^|/tiles/$3/|" "$1"; else sed "s|^|/$3/|" "$1"; fi
}

results=$work/results.tsv
: > "$results"
servers="riskatlas martin"
url_of() {
  case $1 in riskatlas) echo "$ra_url" ;; martin) echo "$mt_url" ;; bare) echo "$bare_url" ;; bare+headers) echo "$bare_headers_url" ;; esac
}
bench() { # PHASE CASE LIST LAYERS
  local phase=$1 case=$2 list=$3 ids=$4 r server out present=()
  for server in $servers; do
    [ $server != martin ] || [ -n "$martin" ] || continue
    present+=("$server")
    paths "$list" $server "$ids" > "$work/paths-$server"
  done
  for r in $(seq 1 "$rounds"); do
    # Who goes first moves along every round.
    local n=${#present[@]} i
    for i in $(seq 0 $((n - 1))); do
      server=${present[$(( (i + r - 1) % n ))]}
      out=$(wrk -t2 -c"$connections" -d"${seconds}s" --timeout 60s -s "$here/walk.lua" "$(url_of $server)" \
        -- "$work/paths-$server" | grep '^RESULT' || true)
      [ -n "$out" ] || { echo "tiles_vs_martin: wrk gave no result for $server, $case" >&2; exit 1; }
      printf '%s\t%s\t%s\t%s\t%s\n' "$phase" "$case" "$server" "$r" "$out" >> "$results"
      printf '   %-5s %-24s round %d %-9s %s\n' "$phase" "$case" "$r" "$server" "${out#RESULT }"
    done
  done
}

prefetch() { # LIST LAYERS: every tile of the list once from each server (caches on)
  for s in riskatlas martin; do
    local url=$ra_url
    if [ $s = martin ]; then [ -n "$martin" ] || continue; url=$mt_url; fi
    paths "$1" $s "$2" | sed "s|^|-o /dev/null $url|" | xargs -P 4 -n 60 curl -fsS
  done
}

echo "== caches off: riskatlas --tile-cache-mb 0, Martin cache size_mb 0"
start_riskatlas 0
start_martin cold
check_status=0
for band in high low; do
  python3 "$here/check.py" --riskatlas "$ra_url" ${martin:+--martin "$mt_url"} --layers "$layers" \
    --list "$work/$band.txt" --sample "$check_tiles" --label "$([ $band = high ] && echo z10–z15 || echo z6–z9)" \
    || check_status=1
done
bench cold "z10–z15 composite" "$work/high.txt" "$layers"
bench cold "z10–z15 $single" "$work/single.txt" "$single"
bench cold "z6–z9 composite" "$work/low.txt" "$layers"
stop_servers

echo "== caches on: 256 MB of tiles each, the first $warm_tiles tiles of the z10–z15 list and the z6–z9 list fetched once first"
start_riskatlas 256
start_martin warm
prefetch "$work/warm-high.txt" "$layers"
prefetch "$work/warm-low.txt" "$layers"
# The bare handler: the same bytes riskatlas sends, from a hash map, no middleware; and
# a second one sending riskatlas's headers with them (ETag, cache and security headers:
# the same response byte for byte, but its date), as wrk's Lua reads every header.
cat "$work/warm-high.txt" "$work/warm-low.txt" | sed "s|^|/tiles/$layers/|" > "$work/bare-paths"
mkdir "$work/bare" "$work/bare-headers"
i=0
while read -r p; do
  curl -fsS -o "$work/bare/$i" -D "$work/bare-headers/$i.headers" "$ra_url$p"
  : >> "$work/bare/$i"
  ln "$work/bare/$i" "$work/bare-headers/$i"
  i=$((i + 1))
done < "$work/bare-paths"
bare_port=$(free_port)
"$bare" "$work/bare-paths" "$work/bare" "127.0.0.1:$bare_port" > "$work/bare.log" 2>&1 &
pids+=("$!")
bare_url=http://127.0.0.1:$bare_port
wait_for "$bare_url/tiles/$layers/$(head -n 1 "$work/warm-high.txt")" "$!" "the bare handler" "$work/bare.log"
bare_headers_port=$(free_port)
"$bare" "$work/bare-paths" "$work/bare-headers" "127.0.0.1:$bare_headers_port" > "$work/bare-headers.log" 2>&1 &
pids+=("$!")
bare_headers_url=http://127.0.0.1:$bare_headers_port
wait_for "$bare_headers_url/tiles/$layers/$(head -n 1 "$work/warm-high.txt")" "$!" "the bare handler with headers" "$work/bare-headers.log"
servers="riskatlas martin bare bare+headers"
bench warm "z10–z15 composite" "$work/warm-high.txt" "$layers"
bench warm "z6–z9 composite" "$work/warm-low.txt" "$layers"
stop_servers

python3 "$here/report.py" "$results" "$single"
if [ $check_status != 0 ]; then
  echo "== the equality check found differences (above)"
  exit 1
fi
