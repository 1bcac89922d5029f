// Reads a PMTiles archive with the reference JavaScript reader (the `pmtiles` package on
// npm, the one MapLibre pages use) and prints one JSON object: the header, the
// metadata, and every tile it finds by asking for each z/x/y inside the header's
// bounds, {"z/x/y": the tile in hex, decompressed by the reader}. Written against the
// package, not riskatlas: the Rust test compares it with the Python reader's listing.
//
// Usage: node tests/browser/pmtiles-read.mjs ARCHIVE.pmtiles

import fs from "node:fs";
import { PMTiles } from "pmtiles";

/** A Source over a local file: the byte ranges the reader asks for. */
class LocalFile {
  constructor(path) {
    this.path = path;
    this.fd = fs.openSync(path, "r");
  }
  getKey() {
    return this.path;
  }
  async getBytes(offset, length) {
    const buffer = Buffer.alloc(length);
    const read = fs.readSync(this.fd, buffer, 0, length, offset);
    const bytes = buffer.subarray(0, read);
    return { data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
  }
}

/** The tile column and row of lon/lat at zoom z (Web Mercator). */
function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (Math.max(-85.05112878, Math.min(85.05112878, lat)) * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  const clamp = (v) => Math.max(0, Math.min(n - 1, v));
  return [clamp(x), clamp(y)];
}

async function main(path) {
  const archive = new PMTiles(new LocalFile(path));
  const header = await archive.getHeader();
  const metadata = await archive.getMetadata();
  const tiles = {};
  for (let z = header.minZoom; z <= header.maxZoom; z += 1) {
    const [x0, y0] = tileOf(header.minLon, header.maxLat, z);
    const [x1, y1] = tileOf(header.maxLon, header.minLat, z);
    for (let x = x0; x <= x1; x += 1) {
      for (let y = y0; y <= y1; y += 1) {
        const tile = await archive.getZxy(z, x, y);
        if (tile && tile.data) tiles[`${z}/${x}/${y}`] = Buffer.from(tile.data).toString("hex");
      }
    }
  }
  process.stdout.write(JSON.stringify({ header, metadata, tiles }));
}

main(process.argv[2]).catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
