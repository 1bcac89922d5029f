"""Loads riskatlas layers into QGIS headless (Debian's python3-qgis, Qt offscreen): one
through QGIS's OGC API - Features provider, and the same layer through its vector-tile
provider styled with the server's style.json (converted by QGIS's own MapLibre style
converter), as a planner adding them in QGIS would.

Usage: /usr/bin/python3 qgis_read.py BASE_URL COLLECTION Z X Y
Prints one JSON object: whether each layer is valid, the features the OAPIF provider
reads (count and ids), whether the style converted with a renderer, and how many
pixels of tile Z/X/Y, drawn with it, are in the open-shelter green.
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
    green = 0
    for py in range(0, image.height(), 2):
        for px in range(0, image.width(), 2):
            c = image.pixelColor(px, py)
            if abs(c.red() - 0x1A) < 30 and abs(c.green() - 0x98) < 30 and abs(c.blue() - 0x50) < 30:
                green += 1
    out["open_shelter_pixels"] = green
    json.dump(out, sys.stdout)
    sys.stdout.flush()
    # QGIS 3.22 can crash tearing itself down headless; the answer is out, so leave
    # without the teardown.
    os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:6])
