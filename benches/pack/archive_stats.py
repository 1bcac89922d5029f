#!/usr/bin/env python3
"""One line about a tile archive, read with a reader no one here wrote: the `pmtiles`
package for PMTiles, SQLite for MBTiles. Tiles, size, the largest tile (as stored:
gzipped), wall time and peak memory (from the caller), tiles per second.

    archive_stats.py pmtiles|mbtiles FILE SECONDS PEAK_MB NAME
"""
import os
import sqlite3
import sys


def pmtiles_stats(path):
    from pmtiles.reader import MmapSource, Reader, all_tiles

    with open(path, "rb") as f:
        reader = Reader(MmapSource(f))
        sizes = [len(data) for _, data in all_tiles(reader.get_bytes)]
    return len(sizes), max(sizes, default=0)


def mbtiles_stats(path):
    db = sqlite3.connect(path)
    count, largest = db.execute("SELECT count(*), max(length(tile_data)) FROM tiles").fetchone()
    return count, largest or 0


def main(kind, path, seconds, peak_mb, name):
    count, largest = (pmtiles_stats if kind == "pmtiles" else mbtiles_stats)(path)
    seconds = float(seconds)
    print(
        f"   {name:10} {count:>7} tiles in {seconds:7.1f} s ({count / max(seconds, 1e-9):8.0f} tiles/s), "
        f"{os.path.getsize(path) / 1e6:7.1f} MB, largest tile {largest / 1024:6.1f} KB "
        f"(target: under 500 KB), peak memory {peak_mb} MB"
    )


if __name__ == "__main__":
    main(*sys.argv[1:6])
