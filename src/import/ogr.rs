//! Reading anything GDAL reads (cargo feature `gdal`): Shapefile, GeoPackage, FileGDB,
//! KML and the other OGR vector formats, and population rasters (GeoTIFF and friends).
//!
//! GDAL does the parsing; this module decides what census deliveries need decided:
//!
//! - **Attribute encoding.** Chinese Shapefiles are usually GBK/GB18030 and often come
//!   without a `.cpg` file. GDAL then passes the DBF bytes through untouched, so strings
//!   (and field names) are read here as bytes: a file whose text is all valid UTF-8 is
//!   UTF-8, otherwise it is decoded as GB18030 (a superset of GBK and GB2312) and the report
//!   says so. `--encoding` hands the choice to GDAL's own recoding instead.
//! - **Coordinates.** Everything becomes lon/lat. EPSG:4490 (CGCS2000) and EPSG:4326
//!   differ by centimetres and are treated as equal; a projected CRS on either datum (the
//!   CGCS2000 3-degree Gauss–Krüger zones of county surveys) is inverse-projected onto its
//!   own geographic CRS, with no datum shift; any other CRS goes through PROJ to EPSG:4326.
//!   A file without a CRS is read as lon/lat only if its extent fits lon/lat; otherwise it
//!   is refused with a hint to pass `--crs`.
//! - **Rasters.** Every cell with a positive value becomes a population point at the cell
//!   centre (or, with [`RasterShape::Cells`], the cell's square), population rounded to
//!   whole people with the rounding reported.
//!
//! A feature GDAL cannot turn into a geometry is reported with its index, never dropped.

use super::source::{RawFeature, SourceRead, Unreadable};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo::{Coord, Geometry, LineString, Point, Polygon};
use std::ffi::CStr;
use std::path::Path;

/// How raster cells become features.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RasterShape {
    /// A point at each cell's centre.
    #[default]
    Points,
    /// The cell's outline as a polygon.
    Cells,
}

/// Choices the caller can make for a GDAL read.
#[derive(Debug, Clone, Default)]
pub struct OgrOptions {
    /// The attribute encoding (`GBK`, `GB18030`, `UTF-8`, ...), for files that do not say.
    pub encoding: Option<String>,
    /// Which layer of a multi-layer dataset (GeoPackage, FileGDB); default: the only one.
    pub source_layer: Option<String>,
    /// The CRS of a file that names none (or names a wrong one): `EPSG:4544`, WKT, PROJ.
    pub crs: Option<String>,
    /// How raster cells become features.
    pub raster: RasterShape,
}

/// Called with (done, total) as features or raster rows are read.
pub type Progress<'a> = &'a dyn Fn(u64, u64);

/// The encoding assumed when a file's text is not UTF-8 and nothing names one.
const FALLBACK_ENCODING: &encoding_rs::Encoding = encoding_rs::GB18030;

/// Reads `path` with GDAL: its vector layer, or else its first raster band.
pub fn read(path: &Path, opts: &OgrOptions, progress: Progress) -> Result<SourceRead, String> {
    if !path.exists() {
        return Err("no such file".into());
    }
    super::gdal_messages::route_to_log();
    let encoding_option = opts.encoding.as_ref().map(|e| format!("ENCODING={e}"));
    let open_options: Vec<&str> = encoding_option.iter().map(String::as_str).collect();
    let dataset = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_READONLY
                | GdalOpenFlags::GDAL_OF_VECTOR
                | GdalOpenFlags::GDAL_OF_RASTER
                | GdalOpenFlags::GDAL_OF_VERBOSE_ERROR,
            open_options: (!open_options.is_empty()).then_some(&open_options[..]),
            ..Default::default()
        },
    )
    .map_err(|e| format!("GDAL cannot open it: {e}"))?;
    if dataset.layer_count() > 0 {
        read_vector(&dataset, opts, progress)
    } else if dataset.raster_count() > 0 {
        read_raster(&dataset, opts, progress)
    } else {
        Err(format!(
            "GDAL opened it ({} driver) but found neither vector layers nor raster bands",
            dataset.driver().short_name()
        ))
    }
}

/// A value as read, before the file's encoding is settled.
enum Cell {
    Text(Vec<u8>),
    Value(serde_json::Value),
}

/// A feature as read: its lon/lat geometry and one cell per field (None: null).
struct Row {
    geometry: Geometry<f64>,
    cells: Vec<Option<Cell>>,
}

/// Turns the bytes of a name or text cell into a string, once the file's encoding is
/// settled.
type Decode = fn(&[u8]) -> String;

/// Reads the chosen vector layer:
/// 1. the layer (named, or the only one) and how its coordinates become lon/lat;
/// 2. field names and text cells as bytes, geometries in lon/lat;
/// 3. the encoding settled over every name and text cell (UTF-8, or the fallback);
/// 4. each row decoded into a raw feature, its `id` field as the feature's id.
fn read_vector(
    dataset: &Dataset,
    opts: &OgrOptions,
    progress: Progress,
) -> Result<SourceRead, String> {
    let mut layer = choose_layer(dataset, opts)?;
    let mut warnings = Vec::new();
    let extent = layer
        .try_get_extent()
        .ok()
        .flatten()
        .map(|e| [e.MinX, e.MinY, e.MaxX, e.MaxY]);
    let to_lonlat = LonLat::plan(
        layer.spatial_ref(),
        opts.crs.as_deref(),
        extent,
        &mut warnings,
    )?;
    let names = field_names(&layer);
    let rows = read_rows(&mut layer, names.len(), &to_lonlat, progress);
    let decode = settle_encoding(&names, &rows, &mut warnings);
    let columns: Vec<String> = names.iter().map(|n| decode(n)).collect();
    let id_column = columns.iter().position(|c| c == "id");
    let features = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let row = row.map_err(|reason| Unreadable {
                index,
                id: None,
                reason,
            })?;
            Ok(decode_row(index, row, &columns, id_column, decode))
        })
        .collect();
    Ok(SourceRead {
        features,
        text_cells: false,
        columns,
        warnings,
    })
}

/// The layer named by `--source-layer`, or the dataset's only one.
fn choose_layer<'d>(
    dataset: &'d Dataset,
    opts: &OgrOptions,
) -> Result<gdal::vector::Layer<'d>, String> {
    match &opts.source_layer {
        Some(name) => dataset.layer_by_name(name).map_err(|_| {
            format!(
                "no layer {name:?}; the layers are {}",
                layer_names(dataset).join(", ")
            )
        }),
        None if dataset.layer_count() > 1 => Err(format!(
            "it has {} layers ({}); choose one with --source-layer",
            dataset.layer_count(),
            layer_names(dataset).join(", ")
        )),
        None => dataset.layer(0).map_err(|e| e.to_string()),
    }
}

/// Field names as bytes: a GBK file's names are GBK too.
fn field_names(layer: &gdal::vector::Layer) -> Vec<Vec<u8>> {
    let defn = layer.defn();
    // SAFETY: the definition outlives this call.
    let field_count = unsafe { gdal_sys::OGR_FD_GetFieldCount(defn.c_defn()) }.max(0);
    (0..field_count)
        .map(|i| unsafe {
            // SAFETY: i < field count, and the name is copied before the layer moves on.
            let field = gdal_sys::OGR_FD_GetFieldDefn(defn.c_defn(), i);
            CStr::from_ptr(gdal_sys::OGR_Fld_GetNameRef(field))
                .to_bytes()
                .to_vec()
        })
        .collect()
}

/// Every feature of `layer` as a [`Row`] of `fields` cells, or why it is not one.
fn read_rows(
    layer: &mut gdal::vector::Layer,
    fields: usize,
    to_lonlat: &LonLat,
    progress: Progress,
) -> Vec<Result<Row, String>> {
    let total = layer.feature_count();
    let mut rows = Vec::new();
    for (index, feature) in layer.features().enumerate() {
        if index % 4096 == 0 {
            progress(index as u64, total);
        }
        let geometry = match feature.geometry() {
            None => Err("no geometry".to_string()),
            Some(g) => to_lonlat.geometry(g),
        };
        let cells = (0..fields)
            .map(|i| read_cell(&feature, i))
            .collect::<Result<Vec<_>, String>>();
        rows.push(geometry.and_then(|geometry| cells.map(|cells| Row { geometry, cells })));
    }
    progress(rows.len() as u64, total);
    rows
}

/// UTF-8 when every name and text cell is valid UTF-8; otherwise the fallback encoding,
/// with a warning that says so.
fn settle_encoding(
    names: &[Vec<u8>],
    rows: &[Result<Row, String>],
    warnings: &mut Vec<String>,
) -> Decode {
    let all_text = names
        .iter()
        .map(Vec::as_slice)
        .chain(rows.iter().flat_map(|r| {
            r.iter().flat_map(|row| {
                row.cells.iter().filter_map(|c| match c {
                    Some(Cell::Text(bytes)) => Some(bytes.as_slice()),
                    _ => None,
                })
            })
        }));
    if all_text
        .into_iter()
        .all(|bytes| std::str::from_utf8(bytes).is_ok())
    {
        |bytes| String::from_utf8_lossy(bytes).into_owned()
    } else {
        warnings.push(format!(
            "the attributes are not UTF-8 and the file names no encoding (no .cpg): \
             decoded as {}; pass --encoding to choose another",
            FALLBACK_ENCODING.name().to_ascii_uppercase()
        ));
        |bytes| {
            FALLBACK_ENCODING
                .decode_without_bom_handling(bytes)
                .0
                .into_owned()
        }
    }
}

/// Row `index` as a raw feature: text decoded, nulls left out, the `id_column`'s value
/// as its id.
fn decode_row(
    index: usize,
    row: Row,
    columns: &[String],
    id_column: Option<usize>,
    decode: Decode,
) -> RawFeature {
    let mut id = None;
    let mut props = Vec::with_capacity(row.cells.len());
    for (column, cell) in row.cells.into_iter().enumerate() {
        let value = match cell {
            None => continue,
            Some(Cell::Text(bytes)) => serde_json::Value::String(decode(&bytes)),
            Some(Cell::Value(v)) => v,
        };
        if Some(column) == id_column {
            id = Some(match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            props.push((columns[column].clone(), value));
        }
    }
    RawFeature {
        index,
        id,
        geometry: row.geometry,
        props,
    }
}

fn layer_names(dataset: &Dataset) -> Vec<String> {
    dataset.layers().map(|l| l.name()).collect()
}

fn read_cell(feature: &gdal::vector::Feature, i: usize) -> Result<Option<Cell>, String> {
    use gdal_sys::OGRFieldType::{OFTDate, OFTDateTime, OFTString, OFTTime};
    // SAFETY: i < the field count of this feature's definition; GDAL's string is copied
    // before the feature moves on.
    let (set, ty) = unsafe {
        let c = feature.c_feature();
        let field = gdal_sys::OGR_F_GetFieldDefnRef(c, i as i32);
        (
            gdal_sys::OGR_F_IsFieldSetAndNotNull(c, i as i32) != 0,
            gdal_sys::OGR_Fld_GetType(field),
        )
    };
    if !set {
        return Ok(None);
    }
    // Text as bytes (the encoding is settled later); dates and times as GDAL writes them.
    if [OFTString, OFTDate, OFTDateTime, OFTTime].contains(&ty) {
        let bytes = unsafe {
            CStr::from_ptr(gdal_sys::OGR_F_GetFieldAsString(
                feature.c_feature(),
                i as i32,
            ))
            .to_bytes()
            .to_vec()
        };
        return Ok(Some(Cell::Text(bytes)));
    }
    use serde_json::Value;
    let value = match feature.field(i).map_err(|e| e.to_string())? {
        None => return Ok(None),
        Some(FieldValue::IntegerValue(v)) => Value::from(v),
        Some(FieldValue::Integer64Value(v)) => Value::from(v),
        Some(FieldValue::RealValue(v)) => {
            serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
        }
        Some(other) => Value::String(format!("{other:?}")),
    };
    Ok(Some(Cell::Value(value)))
}

/// How a file's coordinates become lon/lat.
struct LonLat {
    transform: Option<CoordTransform>,
}

impl LonLat {
    /// Decides from the file's CRS (or `--crs`) and its extent; see the module doc.
    fn plan(
        native: Option<SpatialRef>,
        override_crs: Option<&str>,
        extent: Option<[f64; 4]>,
        warnings: &mut Vec<String>,
    ) -> Result<LonLat, String> {
        let source = match override_crs {
            Some(def) => Some(
                SpatialRef::from_definition(def)
                    .map_err(|e| format!("--crs {def:?} is not a CRS GDAL knows: {e}"))?,
            ),
            None => native,
        };
        let Some(mut source) = source else {
            let looks_lonlat = extent.is_none_or(|[x0, y0, x1, y1]| {
                (-180.0..=180.0).contains(&x0)
                    && (-180.0..=180.0).contains(&x1)
                    && (-90.0..=90.0).contains(&y0)
                    && (-90.0..=90.0).contains(&y1)
            });
            if !looks_lonlat {
                return Err(format!(
                    "it names no CRS (a Shapefile without its .prj?) and its extent {:?} \
                     is not lon/lat; pass --crs, e.g. --crs EPSG:4544 for CGCS2000 / \
                     3-degree Gauss-Kruger CM 105E",
                    extent.unwrap_or_default()
                ));
            }
            warnings.push(
                "it names no CRS; its coordinates fit lon/lat and are read as EPSG:4326".into(),
            );
            return Ok(LonLat { transform: None });
        };
        source.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let name = source.name().unwrap_or_else(|| "unnamed CRS".into());
        let on_wgs84_ellipsoid = |srs: &SpatialRef| {
            srs.semi_major().is_ok_and(|a| a == 6_378_137.0)
                && srs
                    .semi_minor()
                    .is_ok_and(|b| (b - 6_356_752.314).abs() < 0.01)
        };
        if source.is_geographic() && on_wgs84_ellipsoid(&source) {
            // WGS84 or CGCS2000 (EPSG:4490): the same to a few centimetres.
            return Ok(LonLat { transform: None });
        }
        let mut target = if source.is_projected() && on_wgs84_ellipsoid(&source) {
            // Inverse projection only: CGCS2000 Gauss–Krüger zones stay on CGCS2000.
            source.geog_cs().map_err(|e| e.to_string())?
        } else {
            warnings.push(format!(
                "{name} is not on the WGS84/CGCS2000 ellipsoid: converted to WGS84 by PROJ, \
                 whose datum shift may be approximate without a grid file"
            ));
            SpatialRef::from_epsg(4326).map_err(|e| e.to_string())?
        };
        target.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
        let transform = CoordTransform::new(&source, &target)
            .map_err(|e| format!("cannot convert {name} to lon/lat: {e}"))?;
        Ok(LonLat {
            transform: Some(transform),
        })
    }

    fn geometry(&self, g: &gdal::vector::Geometry) -> Result<Geometry<f64>, String> {
        let mut g = match &self.transform {
            Some(t) => g
                .transform(t)
                .map_err(|e| format!("cannot convert to lon/lat: {e}"))?,
            None => g.clone(),
        };
        g.flatten_to_2d();
        g.to_geo()
            .map_err(|e| format!("unsupported geometry {}: {e}", g.geometry_name()))
    }

    /// Converts coordinates in place.
    fn coords(&self, x: &mut [f64], y: &mut [f64]) -> Result<(), String> {
        match &self.transform {
            Some(t) => t
                .transform_coords(x, y, &mut [])
                .map_err(|e| format!("cannot convert to lon/lat: {e}")),
            None => Ok(()),
        }
    }
}

/// Where a raster's cells lie: its affine geotransform.
struct Grid([f64; 6]);

impl Grid {
    /// The point at `col`, `row` in cell units (cell corners at whole numbers), in the
    /// raster's CRS.
    fn at(&self, col: f64, row: f64) -> [f64; 2] {
        let gt = &self.0;
        [
            gt[0] + col * gt[1] + row * gt[2],
            gt[3] + col * gt[4] + row * gt[5],
        ]
    }

    /// The extent of `width` × `height` cells, as `[min x, min y, max x, max y]`.
    fn extent(&self, width: usize, height: usize) -> [f64; 4] {
        let [x0, y0] = self.at(0.0, 0.0);
        let [x1, y1] = self.at(width as f64, height as f64);
        [x0.min(x1), y0.min(y1), x0.max(x1), y0.max(y1)]
    }
}

/// People as the raster holds them against people as loaded, for the rounding warning.
#[derive(Default)]
struct Rounding {
    read: f64,
    rounded: i64,
    /// Cells whose value was not whole.
    fractional: usize,
}

impl Rounding {
    /// Counts a cell of `v` people; returns them rounded to whole people.
    fn add(&mut self, v: f64) -> i64 {
        let people = v.round() as i64;
        self.read += v;
        self.rounded += people;
        self.fractional += usize::from(v.fract() != 0.0);
        people
    }

    fn warning(&self) -> Option<String> {
        (self.fractional > 0).then(|| {
            format!(
                "{} cells hold fractional people, rounded to whole people: \
                 {:.1} in the raster, {} loaded",
                self.fractional, self.read, self.rounded
            )
        })
    }
}

/// How the cells of one raster become population features.
struct CellFeatures<'a> {
    grid: &'a Grid,
    to_lonlat: &'a LonLat,
    shape: RasterShape,
    /// Cells per row, to number the features.
    width: usize,
}

impl CellFeatures<'_> {
    /// The cell at `row`, `col` holding `people`, as a point at its centre or its square.
    fn feature(&self, row: usize, col: usize, people: i64) -> Result<RawFeature, Unreadable> {
        let index = row * self.width + col;
        let (c, r) = (col as f64, row as f64);
        let outline: &[(f64, f64)] = match self.shape {
            RasterShape::Points => &[(0.5, 0.5)],
            RasterShape::Cells => &[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)],
        };
        let (mut xs, mut ys): (Vec<f64>, Vec<f64>) = outline
            .iter()
            .map(|&(dc, dr)| self.grid.at(c + dc, r + dr))
            .map(|[x, y]| (x, y))
            .unzip();
        let geometry = self.to_lonlat.coords(&mut xs, &mut ys).map(|()| {
            let coords: Vec<Coord> = xs.iter().zip(&ys).map(|(&x, &y)| Coord { x, y }).collect();
            match self.shape {
                RasterShape::Points => Geometry::Point(Point(coords[0])),
                RasterShape::Cells => Geometry::Polygon(Polygon::new(LineString(coords), vec![])),
            }
        });
        match geometry {
            Ok(geometry) => Ok(RawFeature {
                index,
                id: Some(format!("r{row}c{col}")),
                geometry,
                props: vec![("population".to_string(), people.into())],
            }),
            Err(reason) => Err(Unreadable {
                index,
                id: Some(format!("r{row}c{col}")),
                reason,
            }),
        }
    }
}

/// Reads the first band as people per cell: every cell with a positive value that rounds
/// to at least one person becomes a feature (see [`RasterShape`]); nodata is skipped.
fn read_raster(
    dataset: &Dataset,
    opts: &OgrOptions,
    progress: Progress,
) -> Result<SourceRead, String> {
    let band = dataset.rasterband(1).map_err(|e| e.to_string())?;
    let (width, height) = band.size();
    let grid =
        Grid(dataset.geo_transform().map_err(|_| {
            "the raster has no geotransform: its cells have no position".to_string()
        })?);
    let mut warnings = Vec::new();
    let to_lonlat = LonLat::plan(
        dataset.spatial_ref().ok(),
        opts.crs.as_deref(),
        Some(grid.extent(width, height)),
        &mut warnings,
    )?;
    let cells = CellFeatures {
        grid: &grid,
        to_lonlat: &to_lonlat,
        shape: opts.raster,
        width,
    };
    let nodata = band.no_data_value();
    let mut features = Vec::new();
    let mut rounding = Rounding::default();
    for row in 0..height {
        if row % 64 == 0 {
            progress(row as u64, height as u64);
        }
        let values = band
            .read_as::<f64>((0, row as isize), (width, 1), (width, 1), None)
            .map_err(|e| format!("row {row}: {e}"))?;
        for (col, &v) in values.data().iter().enumerate() {
            if !v.is_finite() || v <= 0.0 || nodata.is_some_and(|n| n == v) {
                continue;
            }
            let people = rounding.add(v);
            if people == 0 {
                continue; // counted in the rounding report, but nobody lives there
            }
            features.push(cells.feature(row, col, people));
        }
    }
    progress(height as u64, height as u64);
    warnings.extend(rounding.warning());
    Ok(SourceRead {
        features,
        text_cells: false,
        columns: vec!["population".into()],
        warnings,
    })
}
