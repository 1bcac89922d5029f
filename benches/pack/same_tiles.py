#!/usr/bin/env python3
"""Does Martin, serving riskatlas's PMTiles archive, answer each tile as riskatlas's own
server answers it? Samples tiles the archive holds (the `pmtiles` package lists them),
fetches each from both, decodes both with benches/tiles/check.py's MVT reader and
compares them layer by layer, feature for feature (attributes, geometry type, first
vertex and extent). Exits 1 on the first difference, naming it.

    same_tiles.py --archive FILE --martin URL --riskatlas URL --sample N
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tiles"))
from check import decode_tile, get  # noqa: E402


def canonical(layers):
    """A tile's layers with each layer's features in a fixed order."""
    return {
        name: sorted(
            (sorted(props.items(), key=lambda kv: kv[0]), gtype, first, size)
            for props, gtype, first, size in features
        )
        for name, features in layers.items()
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", required=True)
    ap.add_argument("--martin", required=True)
    ap.add_argument("--riskatlas", required=True)
    ap.add_argument("--sample", type=int, default=300)
    args = ap.parse_args()
    from pmtiles.reader import MmapSource, Reader, all_tiles

    with open(args.archive, "rb") as f:
        tiles = sorted(zxy for zxy, _ in all_tiles(Reader(MmapSource(f)).get_bytes))
    sample = random.Random(7).sample(tiles, min(args.sample, len(tiles)))
    features = 0
    for z, x, y in sample:
        path = f"/{z}/{x}/{y}"
        m_status, m_body = get(args.martin + path)
        r_status, r_body = get(args.riskatlas + path)
        if m_status != 200 or r_status != 200:
            sys.exit(f"tile {path}: Martin {m_status}, riskatlas {r_status}")
        m, r = canonical(decode_tile(m_body)), canonical(decode_tile(r_body))
        if m != r:
            for name in sorted(set(m) | set(r)):
                if m.get(name) != r.get(name):
                    sys.exit(
                        f"tile {path}, layer {name}: Martin has {len(m.get(name, []))} features, "
                        f"riskatlas {len(r.get(name, []))}; first difference: "
                        f"{next((a, b) for a, b in zip(m.get(name, []) + [None], r.get(name, []) + [None]) if a != b)}"
                    )
        features += sum(len(v) for v in m.values())
    print(
        f"   {len(sample)} of the archive's {len(tiles)} tiles, {features} features: "
        "Martin serving the archive answers each as riskatlas serves it"
    )


if __name__ == "__main__":
    main()
