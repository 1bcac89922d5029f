#!/usr/bin/env bash
# Vendors MapLibre GL JS into web/vendor/ so the web map loads nothing from the internet.
#
# maplibre-gl 6 ships ES modules only: the page imports vendor/maplibre-gl.mjs with
# <script type="module">, and MapLibre starts its worker from maplibre-gl-worker.mjs,
# which it finds next to itself (resolved against import.meta.url). Both files must
# therefore sit side by side. Source maps are left out (they only matter to DevTools).
#
# Usage: scripts/vendor-web.sh [version]      (default: the pinned version below)
set -euo pipefail

VERSION="${1:-6.17.0}"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo_root/web/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "maplibre-gl@$VERSION" >/dev/null
tar xzf "maplibre-gl-$VERSION.tgz"

mkdir -p "$dest"
for f in maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl.css; do
  cp "package/dist/$f" "$dest/$f"
done
cp package/LICENSE.txt "$dest/MAPLIBRE-LICENSE.txt"

(cd "$dest" && sha256sum maplibre-gl.mjs maplibre-gl-worker.mjs maplibre-gl.css > SHA256SUMS)
echo "maplibre-gl $VERSION vendored into web/vendor/"
