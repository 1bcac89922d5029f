#!/usr/bin/env bash
# Regenerates the glyph PBFs under web/fonts/ that the web map's labels use offline.
#
# Latin, Greek, Cyrillic, punctuation and symbols come from these PBFs; Chinese (and other
# CJK) characters are drawn by MapLibre from the system's CJK fonts through the map's
# `localIdeographFontFamily`, so no CJK glyph ranges are shipped.
#
# The font is Noto Sans Regular (SIL Open Font License 1.1), from Debian's fonts-noto-core
# unless a font file is given. The generator needs freetype-py and numpy from PyPI; they
# are installed into a throwaway virtualenv.
#
# Usage: scripts/build-glyphs.sh [path/to/NotoSans-Regular.ttf]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
font="${1:-}"
if [[ -z "$font" ]]; then
  command -v fc-match >/dev/null || { echo "fc-match not found: pass the font file" >&2; exit 1; }
  font="$(fc-match -f '%{file}' 'Noto Sans:style=Regular')"
  case "$(basename "$font")" in
    NotoSans-Regular.*) ;;
    *) echo "Noto Sans Regular not installed (apt-get install fonts-noto-core), got: $font" >&2; exit 1 ;;
  esac
fi

venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'freetype-py==2.5.1' 'numpy>=1.24,<3'

out="$repo_root/web/fonts"
rm -rf "$out/Noto Sans Regular"
"$venv/bin/python" "$repo_root/scripts/glyphs_pbf.py" "$font" "$out" "Noto Sans Regular"
