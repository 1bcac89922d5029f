#!/usr/bin/env bash
# Warm tile throughput with and without edits landing in the background.
#   benches/tiles_under_edits.sh            (scale 200, 20 s rounds, 18 edits/s)
#   SCALE=20 DURATION=3 benches/tiles_under_edits.sh   (a quick check that it runs)
# 1. builds the release binary, writes the demo at SCALE and serves it (127.0.0.1 only);
# 2. lists composite tiles (every layer, as the web map asks) at z10–z15 around the
#    demo's landslides, from the API;
# 3. runs wrk over the list: a warm-up round, a round with no edits, and a round while
#    another process changes a random shelter's capacity RATE times a second; prints
#    requests/s and the share of tiles served from the cache (`X-Tile-Cache: hit`).
# An edit redraws only the tiles it touched, so the cache should stay almost as warm.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-200}
DURATION=${DURATION:-20}
RATE=${RATE:-18}

command -v wrk >/dev/null || {
  echo "tiles_under_edits: installing wrk (Debian package)" >&2
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq wrk >/dev/null
}
cargo build --release --locked --bin riskatlas
bin=${CARGO_TARGET_DIR:-target}/release/riskatlas

tmp=$(mktemp -d)
server=""
editor=""
cleanup() {
  [ -n "$editor" ] && kill "$editor" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== demo at scale $SCALE"
"$bin" demo --out "$tmp/data" --scale "$SCALE" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUST_LOG=warn "$bin" serve --data "$tmp/data" --bind "127.0.0.1:$port" &
server=$!
origin="http://127.0.0.1:$port"
for _ in $(seq 300); do
  curl -fs "$origin/api/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "$origin/api/health" >/dev/null

python3 - "$origin" "$tmp" <<'PY'
import json, math, random, sys, urllib.request
origin, tmp = sys.argv[1], sys.argv[2]
get = lambda path: json.load(urllib.request.urlopen(origin + path))
layers = ",".join(l["id"] for l in get("/api/layers")["layers"])
points = get("/api/layers/landslides/features?limit=10000")["features"]
shelters = get("/api/layers/shelters/features?limit=10000")["features"]
def tile(lon, lat, z):
    n = 2 ** z
    r = math.radians(lat)
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(r)) / math.pi) / 2 * n)
tiles = sorted({tile(*f["geometry"]["coordinates"], z) for f in points for z in range(10, 16)})
random.Random(7).shuffle(tiles)
with open(f"{tmp}/urls.txt", "w") as out:
    for z, x, y in tiles:
        out.write(f"/tiles/{layers}/{z}/{x}/{y}\n")
with open(f"{tmp}/shelters.txt", "w") as out:
    for f in shelters:
        out.write(f["id"] + "\n")
print(f"{len(tiles)} distinct tiles at z10-z15 with landslides in them; {len(shelters)} shelters to edit")
PY

cat > "$tmp/walk.lua" <<LUA
local urls = {}
for line in io.lines("$tmp/urls.txt") do urls[#urls + 1] = line end
local i = 0
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i], { ["Accept-Encoding"] = "gzip" })
end
LUA

round() {
  wrk -t2 -c8 -d"${DURATION}s" --latency -s "$tmp/walk.lua" "$origin" | grep -E "Requests/sec|50%|99%"
}

# The share of hits, read from `X-Tile-Cache` apart from wrk (a response() hook would
# slow wrk itself).
hit_share() {
  python3 - "$origin" "$tmp/urls.txt" <<'PY'
import sys, urllib.request
origin, path = sys.argv[1], sys.argv[2]
urls = [l.strip() for l in open(path)][:400]
hits = 0
for u in urls:
    with urllib.request.urlopen(origin + u) as r:
        hits += r.headers.get("x-tile-cache") == "hit"
print(f"cache hits over the first {len(urls)} tiles of the list: {hits / len(urls):.1%}")
PY
}

echo "== warm-up round ($DURATION s)"
round >/dev/null
echo "== no edits"
round
hit_share

echo "== $RATE edits/s in the background"
python3 - "$origin" "$tmp/shelters.txt" "$RATE" <<'PY' &
import json, random, sys, time, urllib.error, urllib.request
origin, path, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
ids = [l.strip() for l in open(path)]
rng = random.Random(11)
refused = 0
while True:
    started = time.time()
    # Above any demo shelter's occupancy, so no edit is refused for it.
    body = json.dumps({"properties": {"capacity": rng.randint(5000, 9000)}}).encode()
    req = urllib.request.Request(f"{origin}/api/layers/shelters/features/{rng.choice(ids)}",
                                 data=body, method="PATCH",
                                 headers={"content-type": "application/json"})
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        refused += 1
        if refused <= 3:
            print(f"edit refused: {e.code} {e.read()[:200]!r}", file=sys.stderr)
    time.sleep(max(0.0, 1.0 / rate - (time.time() - started)))
PY
editor=$!
sleep 1
round
hit_share
kill "$editor"
editor=""
echo "edits applied: $(curl -fs "$origin/api/edits?limit=10000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["edits"]))')"
