#!/usr/bin/env python3
"""Render a TrueType/OpenType font into MapLibre glyph PBFs (one file per 256 code points).

Output format: the Mapbox/MapLibre glyph protobuf
    glyphs { repeated fontstack stacks = 1 }
    fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3 }
    glyph { uint32 id = 1; bytes bitmap = 2; uint32 width = 3; uint32 height = 4;
            sint32 left = 5; sint32 top = 6; uint32 advance = 7 }
with the parameters MapLibre assumes for server glyphs: 24 px em, a 3 px buffer around each
bitmap, and an 8-bit signed distance field of radius 8 px with the outline at 0.75 (191).

Pipeline, per code point:
 1. FreeType renders an anti-aliased, unhinted 24 px coverage bitmap (freetype-py);
 2. the bitmap is padded by the buffer and turned into a signed distance field with the
    Felzenszwalb-Huttenlocher exact Euclidean distance transform, treating partial
    coverage as a sub-pixel edge offset (the same approach as @mapbox/tiny-sdf, which
    MapLibre itself uses for local glyphs, so both kinds of label look alike);
 3. metrics are written the way node-fontnik writes them, except that `top` is measured
    from a fixed 25 px ascender, the baseline MapLibre's shaping is calibrated on.

Usage: glyphs_pbf.py FONT_FILE OUT_DIR FONTSTACK_NAME [--ranges all|0-255,256-511,...]
"""
import argparse
import math
import os
import sys

import freetype
import numpy as np

EM_PX = 24
BUFFER = 3
RADIUS = 8.0
CUTOFF = 0.25
BASELINE_ASCENDER = 25
INF = 1e20


# --- signed distance field -------------------------------------------------------------

def _edt_1d(f):
    """Squared distance transform of one row/column of squared distances (lower envelope
    of parabolas). f is a list of floats; returns a new list."""
    n = len(f)
    v = [0] * n
    z = [0.0] * (n + 1)
    k = 0
    z[0] = -INF
    z[1] = INF
    for q in range(1, n):
        while True:
            r = v[k]
            s = ((f[q] + q * q) - (f[r] + r * r)) / (2 * (q - r))
            if s <= z[k]:
                k -= 1
                if k < 0:
                    break
                continue
            break
        k += 1
        v[k] = q
        z[k] = s
        z[k + 1] = INF
    out = [0.0] * n
    k = 0
    for q in range(n):
        while z[k + 1] < q:
            k += 1
        r = v[k]
        out[q] = f[r] + (q - r) * (q - r)
    return out


def _edt_2d(grid, x0, y0, w, h):
    """In-place 2-D squared EDT over grid[y0:y0+h, x0:x0+w] (columns, then rows)."""
    for x in range(x0, x0 + w):
        grid[y0:y0 + h, x] = _edt_1d(grid[y0:y0 + h, x].tolist())
    for y in range(y0, y0 + h):
        grid[y, x0:x0 + w] = _edt_1d(grid[y, x0:x0 + w].tolist())


def sdf(coverage):
    """coverage: uint8 array (rows, cols) of glyph ink. Returns the buffered 8-bit SDF."""
    gh, gw = coverage.shape
    h, w = gh + 2 * BUFFER, gw + 2 * BUFFER
    outer = np.full((h, w), INF)
    inner = np.zeros((h, w))
    a = coverage.astype(np.float64) / 255.0
    d = 0.5 - a
    ink = a > 0
    full = a >= 1.0
    o = np.where(full, 0.0, np.where(d > 0, d * d, 0.0))
    i = np.where(full, INF, np.where(d < 0, d * d, 0.0))
    sub_o = outer[BUFFER:BUFFER + gh, BUFFER:BUFFER + gw]
    sub_i = inner[BUFFER:BUFFER + gh, BUFFER:BUFFER + gw]
    sub_o[ink] = o[ink]
    sub_i[ink] = i[ink]
    _edt_2d(outer, 0, 0, w, h)
    _edt_2d(inner, BUFFER, BUFFER, gw, gh)
    dist = np.sqrt(outer) - np.sqrt(inner)
    val = np.round(255 - 255 * (dist / RADIUS + CUTOFF))
    return np.clip(val, 0, 255).astype(np.uint8)


# --- protobuf (hand-rolled: four message types do not justify a protobuf toolchain) ------

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _uint(field, n):
    return _key(field, 0) + _varint(n)


def _sint(field, n):
    return _key(field, 0) + _varint((n << 1) ^ (n >> 63) if n < 0 else n << 1)


def _bytes(field, b):
    return _key(field, 2) + _varint(len(b)) + b


def encode_glyph(cp, bitmap, width, height, left, top, advance):
    msg = _uint(1, cp)
    if bitmap is not None:
        msg += _bytes(2, bitmap)
    msg += _uint(3, width) + _uint(4, height) + _sint(5, left) + _sint(6, top) + _uint(7, advance)
    return msg


def encode_range(name, start, end, glyphs):
    stack = _bytes(1, name.encode("utf-8")) + _bytes(2, f"{start}-{end}".encode("ascii"))
    for g in glyphs:
        stack += _bytes(3, g)
    return _bytes(1, stack)


# --- rendering -----------------------------------------------------------------------------

def render(face, cp):
    face.load_char(cp, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
    slot = face.glyph
    bm = slot.bitmap
    advance = int(round(slot.advance.x / 64.0))
    width, height = bm.width, bm.rows
    if width == 0 or height == 0:
        return encode_glyph(cp, None, 0, 0, 0, 0, advance)
    coverage = np.array(bm.buffer, dtype=np.uint8).reshape(height, bm.pitch)[:, :width]
    field = sdf(coverage)
    return encode_glyph(cp, field.tobytes(), width, height, slot.bitmap_left,
                        slot.bitmap_top - BASELINE_ASCENDER, advance)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("font")
    ap.add_argument("out_dir")
    ap.add_argument("fontstack")
    ap.add_argument("--ranges", default="all",
                    help="'all' (every 256-block the font covers) or e.g. 0-255,256-511")
    args = ap.parse_args()

    face = freetype.Face(args.font)
    face.set_char_size(EM_PX * 64)
    covered = {cp for cp, gid in face.get_chars() if gid and cp <= 0xFFFF}

    if args.ranges == "all":
        starts = sorted({cp // 256 * 256 for cp in covered})
    else:
        starts = [int(r.split("-")[0]) for r in args.ranges.split(",")]

    out_dir = os.path.join(args.out_dir, args.fontstack)
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for start in starts:
        end = start + 255
        glyphs = [render(face, cp) for cp in range(start, end + 1) if cp in covered]
        with open(os.path.join(out_dir, f"{start}-{end}.pbf"), "wb") as fh:
            fh.write(encode_range(args.fontstack, start, end, glyphs))
        total += len(glyphs)
    print(f"{args.fontstack}: {total} glyphs in {len(starts)} ranges", file=sys.stderr)


if __name__ == "__main__":
    main()
