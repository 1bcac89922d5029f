#!/usr/bin/env python3
"""Do riskatlas and Martin serve the same features? Decodes both servers' tiles (MVT,
standard library only) for a sample of tiles and compares them layer by layer.

    check.py --riskatlas URL [--martin URL] --layers a,b,c --list FILE --sample N

What "the same" means here:

* A layer drawn exactly by riskatlas at the tile's zoom (at or above its detail zoom,
  read from the layer's TileJSON) must hold the same features as Martin's layer: the
  same multiset of attribute rows (every property but the personal ones, which
  riskatlas masks for an anonymous caller; numbers compared as numbers). Both select a
  feature when its geometry meets the tile buffered by 64/4096 (riskatlas in lon/lat,
  Martin with `&&` on the buffered box then `ST_AsMVTGeom`'s clip in Web Mercator).
  Geometry is not compared: riskatlas simplifies by one tile unit below z16, Martin
  does not simplify.
* Below a layer's detail zoom riskatlas generalises by design (README: "Low zooms are
  generalised"): Martin sends every feature. For a point layer the check is the count:
  riskatlas's points plus its clusters' `count` must equal the number of the layer's
  points whose position lies in the tile (counted in PostGIS, from the table Martin
  serves); Martin's own count (buffer included) is shown beside. For line and polygon
  layers below their detail zoom only the counts are shown, nothing is asserted.

Without --martin only riskatlas's side runs: its tiles are decoded and counted.
Exits 1 when an asserted comparison fails.
"""

import argparse
import collections
import gzip
import json
import struct
import subprocess
import sys
import urllib.error
import urllib.request


def varint(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def fields(buf):
    i, n = 0, len(buf)
    while i < n:
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i : i + length], i + length
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def packed(buf):
    out, i = [], 0
    while i < len(buf):
        v, i = varint(buf, i)
        out.append(v)
    return out


def zigzag(n):
    return (n >> 1) ^ -(n & 1)


def decode_value(buf):
    for number, _, v in fields(buf):
        if number == 1:
            return bytes(v).decode()
        if number == 2:
            return struct.unpack("<f", v)[0]
        if number == 3:
            return struct.unpack("<d", v)[0]
        if number == 4:
            return v - (1 << 64) if v >= 1 << 63 else v
        if number == 5:
            return v
        if number == 6:
            return zigzag(v)
        if number == 7:
            return bool(v)
    return None


def first_point(geometry):
    """The first position of a packed MVT geometry, in tile units."""
    if len(geometry) < 3:
        return None
    _, i = varint(geometry, 0)
    x, i = varint(geometry, i)
    y, _ = varint(geometry, i)
    return zigzag(x), zigzag(y)


def extent_of(geometry):
    """(min x, min y, max x, max y) in tile units of a packed MVT geometry's vertices."""
    xs, ys = [], []
    i, x, y = 0, 0, 0
    while i < len(geometry):
        header, i = varint(geometry, i)
        command, count = header & 7, header >> 3
        if command in (1, 2):
            for _ in range(count):
                dx, i = varint(geometry, i)
                dy, i = varint(geometry, i)
                x, y = x + zigzag(dx), y + zigzag(dy)
                xs.append(x)
                ys.append(y)
    if not xs:
        return (0, 0, 0, 0)
    return (min(xs), min(ys), max(xs), max(ys))


def size_of(box):
    """(width, height) of an `extent_of` box."""
    return (box[2] - box[0], box[3] - box[1])


def stand_ins(features, extra, skip):
    """Whether every feature of `extra` (rows) is, in `features`, riskatlas's one-unit
    stand-in for a feature too small to draw at that zoom (a 1 x 1 square or a 1-unit
    segment), which Martin's ST_AsMVTGeom drops."""
    keyed = collections.Counter(
        tuple(sorted((k, norm(v)) for k, v in props.items() if k not in skip))
        for props, gtype, _, box in features
        if gtype in (2, 3) and max(size_of(box)) <= 1)
    return all(keyed[row] >= n for row, n in extra.items())


def edge_slivers(features, extra, skip, extent=4096, buffer=64, within=2):
    """Whether every feature of `extra` (rows) is, in `features`, a line or polygon
    lying wholly within `within` units of one side of the buffered tile's outer edge:
    a feature that reaches into the buffer by a sliver. riskatlas clips it and keeps
    what does not collapse once rounded to whole units; Martin's ST_AsMVTGeom snaps
    it to the grid, where it collapses, and drops it. It lies outside the visible tile
    either way."""
    low, high = -buffer + within, extent + buffer - within

    def sliver(box):
        x0, y0, x1, y1 = box
        return x1 <= low or y1 <= low or x0 >= high or y0 >= high

    keyed = collections.Counter(
        tuple(sorted((k, norm(v)) for k, v in props.items() if k not in skip))
        for props, gtype, _, box in features
        if gtype in (2, 3) and sliver(box))
    return all(keyed[row] >= n for row, n in extra.items())


def decode_tile(data):
    """{layer name: [(properties, geometry type, first position, extent_of box)]}."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    layers = {}
    for number, _, layer_buf in fields(memoryview(data)):
        if number != 3:
            continue
        name, keys, values, raw = None, [], [], []
        for n, _, v in fields(layer_buf):
            if n == 1:
                name = bytes(v).decode()
            elif n == 2:
                raw.append(v)
            elif n == 3:
                keys.append(bytes(v).decode())
            elif n == 4:
                values.append(decode_value(v))
        features = []
        for fbuf in raw:
            tags, gtype, geometry = [], 0, b""
            for n, wire, v in fields(fbuf):
                if n == 2:
                    tags += packed(v) if wire == 2 else [v]
                elif n == 3:
                    gtype = v
                elif n == 4:
                    geometry = v
            props = {keys[tags[i]]: values[tags[i + 1]] for i in range(0, len(tags) - 1, 2)}
            features.append((props, gtype, first_point(geometry), extent_of(geometry)))
        layers[name] = features
    return layers


def get(url):
    """(status, body) of a GET, no compression asked for."""
    try:
        with urllib.request.urlopen(url, timeout=600) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def norm(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return v
    f = float(v)
    return int(f) if f.is_integer() else round(f, 9)


def rows(features, skip):
    return collections.Counter(
        tuple(sorted((k, norm(v)) for k, v in props.items() if k not in skip))
        for props, _, _, _ in features
    )


def on_buffer_edge(features, extra, skip, extent=4096, buffer=64):
    """Whether every feature of `extra` (rows) is a point `features` places on the
    buffered tile's edge."""
    edge = (-buffer, extent + buffer)
    keyed = collections.Counter(
        tuple(sorted((k, norm(v)) for k, v in props.items() if k not in skip))
        for props, gtype, pt, _ in features
        if gtype == 1 and pt is not None and (pt[0] in edge or pt[1] in edge))
    return all(keyed[row] >= n for row, n in extra.items())


def anchors_in_tiles(layer, tiles):
    """Per tile, the layer's points whose position lies in it, counted in PostGIS."""
    values = ",".join(f"({z},{x},{y})" for z, x, y in tiles)
    sql = f"""
        SELECT t.z, t.x, t.y, count(p.geom)
        FROM (VALUES {values}) AS t(z, x, y)
        LEFT JOIN LATERAL (
          SELECT ST_Transform(geom, 3857) AS geom FROM martin."{layer}"
          WHERE geom && ST_Transform(ST_TileEnvelope(t.z, t.x, t.y), 4326)
        ) p ON ST_X(p.geom) >= ST_XMin(ST_TileEnvelope(t.z, t.x, t.y))
           AND ST_X(p.geom) <  ST_XMax(ST_TileEnvelope(t.z, t.x, t.y))
           AND ST_Y(p.geom) >  ST_YMin(ST_TileEnvelope(t.z, t.x, t.y))
           AND ST_Y(p.geom) <= ST_YMax(ST_TileEnvelope(t.z, t.x, t.y))
        GROUP BY t.z, t.x, t.y"""
    out = psql(sql)
    counts = {}
    for line in out.split("\n"):
        if line.strip():
            z, x, y, n = map(int, line.split())
            counts[(z, x, y)] = n
    return counts


def psql(sql):
    return subprocess.run(["psql", "-qtA", "-F", " ", "-c", sql], check=True,
                          capture_output=True, text=True).stdout


def detail_zooms():
    """Each layer's detail zoom by the README's rule, recomputed in PostGIS: the lowest
    zoom at which no tile holds more than 1,000 of its anchors (a point's position, else
    the centre of its lon/lat box), at most 14; 0 for a layer of 1,000 or fewer."""
    out = psql("""
        WITH a AS (
          SELECT layer, ST_Transform(CASE WHEN GeometryType(geom) = 'POINT' THEN geom
                   ELSE ST_SetSRID(ST_MakePoint((ST_XMin(geom) + ST_XMax(geom)) / 2,
                                                (ST_YMin(geom) + ST_YMax(geom)) / 2), 4326) END,
                   3857) AS p
          FROM riskatlas_features),
        t AS (
          SELECT layer,
                 least(16383, greatest(0, floor((ST_X(p) + 20037508.342789244) / (40075016.68557849 / 16384))))::int AS x,
                 least(16383, greatest(0, floor((20037508.342789244 - ST_Y(p)) / (40075016.68557849 / 16384))))::int AS y
          FROM a),
        per AS (
          SELECT layer, z, count(*) AS n FROM t, generate_series(0, 14) AS z
          GROUP BY layer, z, x >> (14 - z), y >> (14 - z))
        SELECT layer, coalesce(min(z) FILTER (WHERE worst <= 1000), 14)
        FROM (SELECT layer, z, max(n) AS worst FROM per GROUP BY layer, z) w
        GROUP BY layer""")
    zooms = {}
    for line in out.split("\n"):
        if line.strip():
            layer, z = line.split()
            zooms[layer] = int(z)
    return zooms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--riskatlas", required=True)
    ap.add_argument("--martin")
    ap.add_argument("--layers", required=True)
    ap.add_argument("--list", required=True, help="file of z/x/y lines")
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    layers = args.layers.split(",")

    catalogue = json.loads(get(f"{args.riskatlas}/api/layers")[1])
    detail = detail_zooms()
    info = {}
    for l in catalogue["layers"] if isinstance(catalogue, dict) else catalogue:
        if l.get("id") not in layers:
            continue
        schema = l.get("fields") or []
        schema = schema.get("fields", []) if isinstance(schema, dict) else schema
        info[l["id"]] = {
            "geometry": l.get("geometry"),
            "personal": {f["name"] for f in schema if f.get("personal")},
            "detail": detail.get(l["id"], 0),
        }

    tiles = [tuple(map(int, line.split("/"))) for line in open(args.list) if line.strip()]
    step = max(1, len(tiles) // max(1, args.sample))
    tiles = tiles[::step][: args.sample]
    points_low = [l for l in layers if str(info[l]["geometry"]).lower() == "point"]

    stats = collections.defaultdict(lambda: collections.Counter())
    failures = []
    anchor_counts = {}
    if args.martin:
        for l in points_low:
            anchor_counts[l] = anchors_in_tiles(l, tiles)
    composite = ",".join(layers)
    bytes_ra = bytes_martin = 0
    for z, x, y in tiles:
        status, body = get(f"{args.riskatlas}/tiles/{composite}/{z}/{x}/{y}")
        if status not in (200, 204):
            failures.append(f"riskatlas {z}/{x}/{y}: HTTP {status} {body[:200]!r}")
            continue
        bytes_ra += len(body)
        ra = decode_tile(body) if status == 200 else {}
        mt = {}
        if args.martin:
            # A composite over 8 MB (low zooms) is decoded only for the layers compared:
            # those drawn exactly and the point layers, fetched one by one.
            status, body = get(f"{args.martin}/{composite}/{z}/{x}/{y}")
            if status not in (200, 204):
                failures.append(f"martin {z}/{x}/{y}: HTTP {status} {body[:200]!r}")
                continue
            bytes_martin += len(body)
            if len(body) < 8 << 20:
                mt = decode_tile(body) if status == 200 else {}
            else:
                for l in layers:
                    if z >= info[l]["detail"] or l in points_low:
                        s, b = get(f"{args.martin}/{l}/{z}/{x}/{y}")
                        mt.update(decode_tile(b) if s == 200 else {})
        for l in layers:
            st = stats[l]
            mine = ra.get(l, [])
            clusters = ra.get(f"{l}:clusters", [])
            counted = len(mine) + sum(int(p.get("count", 0)) for p, _, _, _ in clusters)
            st["riskatlas_features"] += len(mine)
            st["riskatlas_counted"] += counted
            if not args.martin:
                continue
            theirs = mt.get(l, [])
            st["martin_features"] += len(theirs)
            if z >= info[l]["detail"] and clusters:
                st["coarsened"] += 1
            if z >= info[l]["detail"] and not clusters:
                st["exact_tiles"] += 1
                a, b = rows(mine, info[l]["personal"]), rows(theirs, info[l]["personal"])
                if a == b:
                    st["exact_same"] += 1
                elif not (a - b) and on_buffer_edge(theirs, b - a, info[l]["personal"]):
                    # Points under half a unit outside the buffered tile: Martin snaps
                    # them onto its edge and keeps them, riskatlas tests the exact
                    # position and leaves them out.
                    st["exact_same"] += 1
                    st["edge_points"] += sum((b - a).values())
                elif not (b - a) and stand_ins(mine, a - b, info[l]["personal"]):
                    # Features too small to draw at this zoom: riskatlas keeps a one-unit
                    # stand-in so every selected feature can be clicked and counted,
                    # Martin's ST_AsMVTGeom drops them.
                    st["exact_same"] += 1
                    st["stand_ins"] += sum((a - b).values())
                elif not (b - a) and edge_slivers(mine, a - b, info[l]["personal"]):
                    # Features reaching into the buffer by under two units: riskatlas
                    # keeps the clipped sliver, Martin's grid snapping collapses it.
                    st["exact_same"] += 1
                    st["edge_slivers"] += sum((a - b).values())
                else:
                    only_ra, only_m = a - b, b - a
                    st["exact_differ"] += 1
                    failures.append(
                        f"{l} {z}/{x}/{y}: riskatlas {len(mine)}, Martin {len(theirs)} features; "
                        f"only in riskatlas {sum(only_ra.values())} (e.g. {dict(list(only_ra.items())[:1])}), "
                        f"only in Martin {sum(only_m.values())} (e.g. {dict(list(only_m.items())[:1])})")
            elif l in points_low:
                expected = anchor_counts[l].get((z, x, y), 0)
                st["anchor_tiles"] += 1
                if counted == expected:
                    st["anchor_same"] += 1
                else:
                    st["anchor_differ"] += 1
                    failures.append(f"{l} {z}/{x}/{y}: riskatlas counts {counted} points, "
                                    f"{expected} lie in the tile (Martin sends {len(theirs)})")
            else:
                st["reported_tiles"] += 1

    zooms = collections.Counter(t[0] for t in tiles)
    print(f"== check {args.label}: {len(tiles)} tiles sampled "
          f"({', '.join(f'z{z}: {n}' for z, n in sorted(zooms.items()))})")
    print(f"   bytes: riskatlas {bytes_ra:,}" + (f", Martin {bytes_martin:,}" if args.martin else ""))
    header = f"   {'layer':<12} {'detail z':>8} {'ra drawn':>9} {'ra counted':>10}"
    if args.martin:
        header += f" {'Martin':>9}  exact: same/tiles   generalised points: same/tiles"
    print(header)
    for l in layers:
        st = stats[l]
        line = (f"   {l:<12} {info[l]['detail']:>8} {st['riskatlas_features']:>9} "
                f"{st['riskatlas_counted']:>10}")
        if args.martin:
            line += (f" {st['martin_features']:>9}  {st['exact_same']:>5}/{st['exact_tiles']:<5}"
                     f"        {st['anchor_same']:>5}/{st['anchor_tiles']:<5}")
            notes = []
            if st["edge_points"]:
                notes.append(f"{st['edge_points']} points on the buffer's edge in Martin only")
            if st["stand_ins"]:
                notes.append(f"{st['stand_ins']} one-unit stand-ins in riskatlas only")
            if st["edge_slivers"]:
                notes.append(f"{st['edge_slivers']} slivers on the buffer's edge in riskatlas only")
            if st["reported_tiles"]:
                notes.append(f"{st['reported_tiles']} generalised tiles of lines/polygons: counts only")
            if st["coarsened"]:
                notes.append(f"{st['coarsened']} tiles drawn coarser (over 500 KB)")
            if notes:
                line += "   (" + "; ".join(notes) + ")"
        print(line)
    for f in failures[:20]:
        print(f"   DIFFERS: {f}")
    if len(failures) > 20:
        print(f"   ... and {len(failures) - 20} more")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
