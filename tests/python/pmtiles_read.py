"""Reads a PMTiles archive with the reference Python reader (the `pmtiles` package).

Usage: python3 pmtiles_read.py ARCHIVE.pmtiles
Prints one JSON object: the header (enums as their names), the metadata, and every
tile the directories address as {"z/x/y": the tile in hex, gunzipped when the
header says tiles are gzipped}. Written against the package, not riskatlas: if the
archive breaks the spec, this reader is what says so.
"""
import gzip
import json
import sys

from pmtiles.reader import MmapSource, Reader, all_tiles


def main(path):
    with open(path, "rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        gzipped = header["tile_compression"].name == "GZIP"
        tiles = {}
        for (z, x, y), data in all_tiles(reader.get_bytes):
            raw = gzip.decompress(data) if gzipped else data
            tiles[f"{z}/{x}/{y}"] = raw.hex()
        out = {
            "header": {k: (v.name if hasattr(v, "name") else v) for k, v in header.items()},
            "metadata": reader.metadata(),
            "tiles": tiles,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
