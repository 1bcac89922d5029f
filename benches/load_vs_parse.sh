#!/usr/bin/env bash
# Loading a data folder against its floor: `riskatlas check DIR` (read every layer,
# validate every feature as import does, build the R-trees; on all cores) against
# examples/load_floor.rs (the same GeoJSON files parsed by the `geojson` crate, the CSV
# by the `csv` crate, turned into `geo` geometries and bulk-loaded into one R-tree a
# layer, on one thread, with no validation).
#   benches/load_vs_parse.sh                 scale 8000 (about 10 million features), 2 rounds
#   benches/load_vs_parse.sh --short         scale 2, 1 round (CI: keeps it working)
#   SCALE=200 ROUNDS=3 benches/load_vs_parse.sh
#   DEMO_DIR=/path benches/load_vs_parse.sh  reuse a folder `riskatlas demo` wrote
# The two take turns, round by round; /usr/bin/time reports wall time, CPU time and
# peak memory of each. Prints the ratio of wall times and of CPU times.
set -euo pipefail
cd "$(dirname "$0")/.."
short=0
[ "${1:-}" = --short ] && short=1
if [ $short = 1 ]; then SCALE=${SCALE:-2}; ROUNDS=${ROUNDS:-1}; else SCALE=${SCALE:-8000}; ROUNDS=${ROUNDS:-2}; fi
[ -x /usr/bin/time ] || { echo "load_vs_parse: needs /usr/bin/time (Debian package time; scripts/install-deps installs it)" >&2; exit 1; }

# One command for both (built apart, the example's dev-dependencies would change the
# features of shared crates and each build would undo the other); the dev profile in
# short mode, which only checks that the benchmark still runs.
profile=$([ $short = 1 ] && echo dev || echo release)
cargo build --quiet --profile $profile --locked --bin riskatlas --example load_floor
out=${CARGO_TARGET_DIR:-target}/$([ $profile = dev ] && echo debug || echo release)
bin=$out/riskatlas
floor=$out/examples/load_floor

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo=${DEMO_DIR:-}
if [ -z "$demo" ]; then
  demo=$tmp/demo
  echo "== writing the demo at scale $SCALE (at 8000: about 15 minutes and 3.5 GB)"
  "$bin" demo --out "$demo" --scale "$SCALE"
fi
echo "== $(du -sh "$demo" | cut -f1) of layer files in $demo"

measure() { # NAME COMMAND...
  local name=$1; shift
  /usr/bin/time -f "TIME wall=%e user=%U sys=%S maxrss_kb=%M" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || {
    echo "load_vs_parse: $name failed:" >&2; cat "$tmp/err" >&2; exit 1; }
  local t; t=$(cat "$tmp/time")
  echo "$name $t $(grep -h FLOOR "$tmp/out" || true)" | tee -a "$tmp/results"
}
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round"
  if [ $((round % 2)) = 1 ]; then
    measure floor "$floor" "$demo"
    RUST_LOG=warn measure riskatlas "$bin" check "$demo"
  else
    RUST_LOG=warn measure riskatlas "$bin" check "$demo"
    measure floor "$floor" "$demo"
  fi
done

python3 - "$tmp/results" <<'PY'
import re, statistics, sys
runs = {"floor": [], "riskatlas": []}
for line in open(sys.argv[1]):
    name = line.split()[0]
    runs[name].append({k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)})
med = lambda name, key: statistics.median(r[key] for r in runs[name])
cpu = lambda name: statistics.median(r["user"] + r["sys"] for r in runs[name])
f = runs["floor"][0]
print(f"features {int(f['features']):,}: floor parse {med('floor', 'parse_s'):.1f} s + bulk_load {med('floor', 'bulk_load_s'):.1f} s")
for name in runs:
    print(f"{name:10} wall {med(name, 'wall'):7.1f} s  cpu {cpu(name):7.1f} s  peak {med(name, 'maxrss_kb') / 2**20:5.2f} GiB")
ratio = lambda a, b: f"{a / b:.2f}x" if b > 0 else "(too quick to time)"
print(f"riskatlas / floor: wall {ratio(med('riskatlas', 'wall'), med('floor', 'wall'))}, cpu {ratio(cpu('riskatlas'), cpu('floor'))} (target: 1.2x)")
PY
