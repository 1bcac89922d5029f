# Shell functions the benchmark scripts share (sourced, not run): finding Martin, and
# starting and stopping the servers they compare. Messages name the calling script.

# Sets `martin` to Martin's binary, installing Martin 1.14.0 with its PostGIS, PMTiles
# and MBTiles backends into $MARTIN_ROOT once on a full run (about 11 minutes on 2
# cores), or to nothing (saying so, and how to install it) on a short run without it.
find_martin() { # SHORT(0|1) WHAT_RUNS_WITHOUT_IT
  export MARTIN_ROOT=${MARTIN_ROOT:-$HOME/.cache/riskatlas-bench/martin-full}
  local install="cargo install martin@1.14.0 --locked --no-default-features --features postgres,pmtiles,mbtiles --root $MARTIN_ROOT"
  martin=$MARTIN_ROOT/bin/martin
  if [ ! -x "$MARTIN_ROOT/bin/martin-cp" ] && [ "$1" = 0 ]; then
    echo "== installing Martin 1.14.0 (PostGIS, PMTiles, MBTiles) into $MARTIN_ROOT, once: about 11 minutes on 2 cores"
    $install
  fi
  if [ -x "$martin" ] && [ -x "$MARTIN_ROOT/bin/martin-cp" ]; then
    echo "== Martin: $("$martin" --version)"
  else
    echo "== SKIPPING MARTIN: no Martin (with martin-cp) in $MARTIN_ROOT/bin, and --short never builds it (about 11 minutes)."
    echo "   Only riskatlas's side runs: $2."
    echo "   To compare, install it once: run this script without --short, or"
    echo "   $install"
    martin=
  fi
  export martin
}

pids=()
stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # URL PID NAME LOG
  for _ in $(seq 1 1200); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then
      echo "${0##*/}: $3 exited while starting:" >&2; tail -n 20 "$4" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "${0##*/}: $3 did not answer $1 within 10 minutes" >&2; exit 1
}

# Generates the demo at $scale into a fresh $work (removed on exit) and runs SCRIPT
# again inside a throwaway PostGIS (scripts/with-postgis) as `SCRIPT __in_postgis`;
# says how long it all took ($started) and exits with its status.
run_in_postgis() { # SCRIPT
  export work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$bin" demo --out "$work/demo" --scale "$scale" 2>&1 | tail -n 1
  local status=0
  scripts/with-postgis "$1" __in_postgis || status=$?
  echo "== finished in $(( $(date +%s) - started )) s"
  exit $status
}

# Martin's `postgres:` configuration for the typed tables (benches/tiles/typed_tables.sql):
# every table of schema `martin` as a source named after it, with buffer 64 and extent
# 4096, as riskatlas draws.
martin_postgres_yaml() {
  cat <<YAML
postgres:
  connection_string: $DATABASE_URL
  auto_bounds: skip
  auto_publish:
    from_schemas: [martin]
    tables:
      source_id_format: "{table}"
      buffer: 64
      extent: 4096
      clip_geom: true
YAML
}
