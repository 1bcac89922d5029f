"""Loads riskatlas layers into QGIS headless (Debian's python3-qgis, Qt offscreen): one
through QGIS's OGC API - Features provider, and the same layer through its vector-tile
provider styled with the server's style.json (converted by QGIS's own MapLibre style
converter), as a planner adding them in QGIS would.

Usage: /usr/bin/python3 qgis_read.py BASE_URL COLLECTION Z X Y
Prints one JSON object: whether each layer is valid, the features the OAPIF provider
reads (count and ids), whether the style converted with a renderer, and, drawing tile
Z/X/Y with it, the open-shelter green: its pixels and the centre of each patch of it
(as fractions of the tile), one patch per open shelter drawn.
"""
import json
import os
import sys
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.core import (  # noqa: E402
    QgsApplication,
    QgsCoordinateReferenceSystem,
    QgsMapBoxGlStyleConverter,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
)


def main(base, collection, z, x, y):
    # Debian installs QGIS under /usr: without the prefix no data provider loads.
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    out = {}

    uri = f"url='{base}/ogc' typename='{collection}'"
    layer = QgsVectorLayer(uri, collection, "OAPIF")
    out["oapif_valid"] = layer.isValid()
    ids = [f[layer.fields().indexOf("id")] if layer.fields().indexOf("id") >= 0 else f.id() for f in layer.getFeatures()]
    out["oapif_count"] = len(ids)
    out["oapif_ids"] = sorted(str(i) for i in ids)

    tiles = f"type=xyz&url={base}/tiles/{collection}/{{z}}/{{x}}/{{y}}&zmin=0&zmax=14"
    vt = QgsVectorTileLayer(tiles, collection)
    out["vector_tiles_valid"] = vt.isValid()
    with urllib.request.urlopen(f"{base}/style.json") as answer:
        style = json.load(answer)
    converter = QgsMapBoxGlStyleConverter()
    converter.convert(style)
    renderer = converter.renderer()
    out["style_converted"] = renderer is not None
    if renderer is not None:
        vt.setRenderer(renderer)

    # Draw the tile's area with the converted style, as QGIS would on screen.
    n = 2 ** int(z)
    world = 20037508.342789244
    size = 2 * world / n
    west, north = -world + int(x) * size, world - int(y) * size
    settings = QgsMapSettings()
    settings.setLayers([vt])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(QgsRectangle(west, north - size, west + size, north))
    settings.setOutputSize(QSize(512, 512))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    # The open shelters drawn: the connected patches of their green, with each patch's
    # centre in image pixels (so the test can leave out those cut by the edge).
    width, height = image.width(), image.height()
    green = set()
    for py in range(height):
        for px in range(width):
            c = image.pixelColor(px, py)
            if abs(c.red() - 0x1A) < 40 and abs(c.green() - 0x98) < 40 and abs(c.blue() - 0x50) < 40:
                green.add((px, py))
    patches = []
    seen = set()
    for start in green:
        if start in seen:
            continue
        seen.add(start)
        stack, pixels = [start], []
        while stack:
            px, py = stack.pop()
            pixels.append((px, py))
            for nx, ny in ((px + 1, py), (px - 1, py), (px, py + 1), (px, py - 1)):
                if (nx, ny) in green and (nx, ny) not in seen:
                    seen.add((nx, ny))
                    stack.append((nx, ny))
        if len(pixels) >= 12:
            cx = sum(p[0] for p in pixels) / len(pixels)
            cy = sum(p[1] for p in pixels) / len(pixels)
            patches.append([cx / width, cy / height])
    out["open_shelter_pixels"] = len(green)
    out["open_shelter_patches"] = patches
    json.dump(out, sys.stdout)
    sys.stdout.flush()
    # QGIS 3.22 can crash tearing itself down headless; the answer is out, so leave
    # without the teardown.
    os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:6])
