// Drawing one polygon on the map: click to add corners, double-click (or finish()) to
// close it, Backspace to drop the last corner, Escape to give up. The area is shown as a
// GeoJSON source (fill, outline, corners; "impact-draw" unless named) drawn above
// everything else. Several panels may each have a drawer; one draws at a time.

const SOURCE = "impact-draw";
const EMPTY = { type: "FeatureCollection", features: [] };
/** Corners closer than this on screen are one corner (a double-click clicks twice). */
const SAME_CORNER_PX = 4;

const drawers = [];

/** True while any drawer is drawing (map clicks add corners, not popups). */
export const anyDrawing = () => drawers.some((d) => d.active);

export class PolygonDrawer {
  /** `onChange()` is called whenever drawing starts or stops or the polygon changes;
   *  `color` is the area's colour until `setColor`; `source` names its map source. */
  constructor(map, onChange, color, source = SOURCE) {
    drawers.push(this);
    this.source = source;
    this.map = map;
    this.onChange = onChange;
    this.corners = []; // [lon, lat] while drawing
    this.ring = null; // closed ring of the finished polygon
    this.cursor = null;
    this.active = false;
    this.color = color;
    this.addLayers();
    map.on("click", (event) => this.active && this.add(event.lngLat));
    map.on("mousemove", (event) => {
      if (!this.active) return;
      this.cursor = [event.lngLat.lng, event.lngLat.lat];
      this.render();
    });
    map.on("dblclick", (event) => {
      if (!this.active) return;
      event.preventDefault();
      this.finish();
    });
    window.addEventListener("keydown", (event) => {
      if (!this.active || event.target.closest?.("input, select, textarea")) return;
      if (event.key === "Escape") this.cancel();
      else if (event.key === "Backspace" || event.key === "Delete") {
        this.corners.pop();
        this.render();
      } else if (event.key === "Enter") this.finish();
    });
  }

  get drawing() { return this.active; }

  /** The finished polygon as a GeoJSON Polygon geometry, or null. */
  get polygon() {
    return this.ring ? { type: "Polygon", coordinates: [this.ring.map((p) => [...p])] } : null;
  }

  start() {
    // A click cannot add a corner to two areas: another drawer gives up its drawing.
    for (const other of drawers) if (other !== this && other.active) other.cancel();
    this.ring = null;
    this.corners = [];
    this.cursor = null;
    this.active = true;
    this.map.doubleClickZoom.disable();
    this.map.getCanvas().style.cursor = "crosshair";
    this.render();
    this.onChange();
  }

  add(lngLat) {
    this.corners.push([round(lngLat.lng), round(lngLat.lat)]);
    this.render();
    this.onChange();
  }

  /** Closes the polygon; returns an error message when it has fewer than 3 corners. */
  finish() {
    const corners = this.distinctCorners();
    if (corners.length < 3) {
      return `An area needs at least 3 corners (${corners.length} so far) · 至少需要 3 个点`;
    }
    this.ring = [...corners, corners[0]];
    this.stop();
    return null;
  }

  cancel() {
    this.corners = [];
    this.stop();
  }

  clear() {
    this.ring = null;
    this.corners = [];
    this.stop();
  }

  setColor(color) {
    this.color = color;
    if (!this.map.getLayer(`${this.source}-fill`)) return;
    this.map.setPaintProperty(`${this.source}-fill`, "fill-color", color);
    this.map.setPaintProperty(`${this.source}-line`, "line-color", color);
  }

  stop() {
    this.active = false;
    this.cursor = null;
    this.map.getCanvas().style.cursor = "";
    // Re-enabled after the double-click that finished the polygon has been handled.
    setTimeout(() => this.map.doubleClickZoom.enable(), 300);
    this.render();
    this.onChange();
  }

  /** The corners without repeats (on screen) and without a last corner on the first. */
  distinctCorners() {
    const out = [];
    for (const corner of this.corners) {
      const last = out[out.length - 1];
      if (!last || !this.sameSpot(last, corner)) out.push(corner);
    }
    while (out.length > 1 && this.sameSpot(out[0], out[out.length - 1])) out.pop();
    return out;
  }

  sameSpot(a, b) {
    const pa = this.map.project(a);
    const pb = this.map.project(b);
    return Math.hypot(pa.x - pb.x, pa.y - pb.y) < SAME_CORNER_PX;
  }

  addLayers() {
    const map = this.map;
    const id = this.source;
    map.addSource(id, { type: "geojson", data: EMPTY });
    map.addLayer({
      id: `${id}-fill`, type: "fill", source: id,
      filter: ["==", ["geometry-type"], "Polygon"],
      paint: { "fill-color": this.color, "fill-opacity": 0.18 },
    });
    map.addLayer({
      id: `${id}-line`, type: "line", source: id,
      filter: ["!=", ["geometry-type"], "Point"],
      layout: { "line-join": "round" },
      paint: {
        "line-color": this.color,
        "line-width": ["case", ["==", ["get", "state"], "drawing"], 2, 3],
      },
    });
    map.addLayer({
      id: `${id}-corner`, type: "circle", source: id,
      filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-radius": 4, "circle-color": "#ffffff",
        "circle-stroke-color": "#1d2430", "circle-stroke-width": 1.5,
      },
    });
  }

  render() {
    const source = this.map.getSource(this.source);
    if (!source) return;
    const features = [];
    if (this.ring) {
      features.push(feature({ type: "Polygon", coordinates: [this.ring] }, "done"));
    } else if (this.active && this.corners.length) {
      const path = this.cursor ? [...this.corners, this.cursor] : this.corners;
      if (path.length >= 3) {
        features.push(feature({ type: "Polygon", coordinates: [[...path, path[0]]] }, "drawing"));
      }
      if (path.length >= 2) features.push(feature({ type: "LineString", coordinates: path }, "drawing"));
      for (const corner of this.corners) features.push(feature({ type: "Point", coordinates: corner }, "drawing"));
    }
    source.setData({ type: "FeatureCollection", features });
  }
}

function feature(geometry, state) {
  return { type: "Feature", properties: { state }, geometry };
}

/** Seven decimals (about 1 cm): plenty, and keeps the scenario and report URL short. */
function round(x) {
  return Math.round(x * 1e7) / 1e7;
}
