//! The features of a collection: `items` (a page of them) and `item` (one by its
//! stable id), with the parameters of Part 1 (`bbox`, `limit`, `offset`, `datetime`,
//! property filters), Part 2 (`crs`, `bbox-crs`) and Part 3's `filter` in CQL2 text for
//! the subset the `where` filter reads (comparisons, `IN`, `LIKE`, `IS NULL`, `AND`,
//! `OR`, `NOT`, parentheses), mapped onto it.

use super::super::features::{page_geojson, parse_count, parse_filter, select};
use super::super::web::base_url;
use super::super::{ApiError, AppState};
use super::source::Source;
use super::{Crs, GEOJSON, answer, encoding, link, only, urlencoding};
use crate::atlas::{BboxWgs84, Layer};
use crate::service::access::Identity;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Items per page when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 10;
/// The most items one page holds.
pub const MAX_LIMIT: usize = 10_000;

/// The query parameters that are not property filters.
const RESERVED: [&str; 10] = [
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "f",
    "crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
];

/// The field `datetime` selects on: a drill's `date` (`YYYY-MM-DD`).
pub fn date_field(layer: &Layer) -> Option<&'static str> {
    layer.schema.position("date").map(|_| "date")
}

/// Property filters (`?severity=4`) and `filter` (CQL2 text) as one `where` text.
fn where_text(layer: &Layer, query: &BTreeMap<String, String>) -> Result<Option<String>, ApiError> {
    let mut parts = Vec::new();
    for (name, value) in query
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
    {
        if layer.schema.position(name).is_none() {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {name:?}: collection {:?} has no such property (the \
                 parameters are {} and its properties)",
                layer.id.as_str(),
                RESERVED.join(", ")
            )));
        }
        if value.contains('"') && value.contains('\'') {
            return Err(ApiError::bad_request(format!(
                "{name}: a value with both kinds of quote cannot be matched"
            )));
        }
        let quote = if value.contains('\'') { '"' } else { '\'' };
        parts.push(format!("\"{name}\" = {quote}{value}{quote}"));
    }
    match query.get("filter-lang").map(String::as_str) {
        None | Some("cql2-text") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "filter-lang {other:?}: only cql2-text is read"
            )));
        }
    }
    if let Some(crs) = query.get("filter-crs") {
        Crs::parse("filter-crs", crs).map_err(ApiError::bad_request)?;
    }
    if let Some(cql) = query.get("filter").filter(|f| !f.trim().is_empty()) {
        parts.push(format!("({})", cql2_as_where(cql)));
    }
    Ok((!parts.is_empty()).then(|| parts.join(" and ")))
}

/// CQL2 text in the `where` grammar: the same words, but `<>` for "not equal".
fn cql2_as_where(cql: &str) -> String {
    let mut out = String::with_capacity(cql.len());
    let mut quote: Option<char> = None;
    let mut chars = cql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '<') if chars.peek() == Some(&'>') => {
                chars.next();
                out.push_str("!=");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A `datetime` instant or interval as (from, to), each a `YYYY-MM-DD` day or open.
fn day_range(text: &str) -> Result<(Option<String>, Option<String>), ApiError> {
    let day = |part: &str| -> Result<Option<String>, ApiError> {
        let part = part.trim();
        if part.is_empty() || part == ".." {
            return Ok(None);
        }
        let date = part.get(..10).filter(|d| {
            d.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            })
        });
        date.map(|d| Some(d.to_string())).ok_or_else(|| {
            ApiError::bad_request(format!(
                "datetime {text:?}: give an RFC 3339 date or date-time, or an interval a/b \
                 with .. for an open end"
            ))
        })
    };
    match text.split_once('/') {
        Some((from, to)) => Ok((day(from)?, day(to)?)),
        None => {
            let at = day(text)?;
            if at.is_none() {
                return Err(ApiError::bad_request("datetime: an instant cannot be open"));
            }
            Ok((at.clone(), at))
        }
    }
}

/// `GET /ogc/collections/{id}/items`.
pub async fn items(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let encoding = encoding(&query, &headers)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let source = Source::find(&state, &who, &id).await?;
    let layer = source.layer();
    let text = |k: &str| query.get(k).map(String::as_str);
    let limit = parse_count("limit", text("limit"), DEFAULT_LIMIT, MAX_LIMIT)?;
    if limit == 0 {
        return Err(ApiError::bad_request(format!(
            "limit 0: a page holds 1 to {MAX_LIMIT} features"
        )));
    }
    let offset = parse_count("offset", text("offset"), 0, usize::MAX)?;
    let crs = text("crs")
        .map_or(Ok(Crs::Crs84), |c| Crs::parse("crs", c))
        .map_err(ApiError::bad_request)?;
    let bbox_crs = text("bbox-crs")
        .map_or(Ok(Crs::Crs84), |c| Crs::parse("bbox-crs", c))
        .map_err(ApiError::bad_request)?;
    let bbox = text("bbox").map(|b| bbox_in(b, bbox_crs)).transpose()?;
    let filter = parse_filter(layer, where_text(layer, &query)?.as_deref(), &who)?;
    let mut matched = select(layer, bbox, filter.as_ref());
    if let (Some(range), Some(field)) = (text("datetime"), date_field(layer)) {
        let (from, to) = day_range(range)?;
        matched.retain(|&fid| {
            layer
                .value(fid, field)
                .as_str()
                .and_then(|d| d.get(..10))
                .is_some_and(|d| {
                    from.as_deref().is_none_or(|f| d >= f) && to.as_deref().is_none_or(|t| d <= t)
                })
        });
    }
    let page: Vec<u32> = matched.iter().skip(offset).take(limit).copied().collect();
    let about = format!("layer {id} (OGC API)");
    let features: Vec<Value> = page_geojson(&state, &who, layer, &page, about)
        .into_iter()
        .map(|f| oriented(f, crs))
        .collect();
    let links = paging_links(&base, &id, &query, limit, offset, page.len(), matched.len());
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": matched.len(),
        "numberReturned": features.len(),
        "features": features,
        "links": links,
    });
    Ok(with_crs(answer(body, GEOJSON, encoding), crs))
}

/// A page's links: itself, its collection, and the pages after and before it.
fn paging_links(
    base: &str,
    id: &str,
    query: &BTreeMap<String, String>,
    limit: usize,
    offset: usize,
    returned: usize,
    matched: usize,
) -> Vec<Value> {
    // The same query at another offset.
    let page_url = |offset: usize| {
        let mut params: Vec<(&str, String)> = query
            .iter()
            .filter(|(k, _)| !["offset", "limit"].contains(&k.as_str()))
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        params.push(("limit", limit.to_string()));
        params.push(("offset", offset.to_string()));
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", urlencoding(k), urlencoding(v)))
            .collect();
        format!("{base}/collections/{id}/items?{}", encoded.join("&"))
    };
    let mut links = vec![
        link(page_url(offset), "self", GEOJSON, "this page"),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            "application/json",
            "the collection",
        ),
    ];
    if offset + returned < matched {
        links.push(link(
            page_url(offset + returned),
            "next",
            GEOJSON,
            "the next page",
        ));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            GEOJSON,
            "the page before",
        ));
    }
    links
}

/// `bbox` read in `crs` as a lon/lat box.
fn bbox_in(text: &str, crs: Crs) -> Result<BboxWgs84, ApiError> {
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::bad_request(format!(
                "bbox {text:?}: four or six numbers, comma-separated"
            ))
        })?;
    // Six numbers are a 3D box (lower corner x, y, z, then the upper): heights ignored.
    let [a, b, c, d] = match numbers[..] {
        [a, b, c, d] => [a, b, c, d],
        [a, b, _, d, e, _] => [a, b, d, e],
        _ => {
            return Err(ApiError::bad_request(format!(
                "bbox {text:?}: four or six numbers, comma-separated"
            )));
        }
    };
    let [w, s, e, n] = crs.bbox_as_lon_lat([a, b, c, d]);
    super::super::features::parse_bbox(&format!("{w},{s},{e},{n}"))
}

/// A feature with its geometry in `crs`'s axis order.
fn oriented(mut feature: Value, crs: Crs) -> Value {
    crs.orient(&mut feature["geometry"]);
    feature
}

/// The answer, saying which CRS its coordinates are in.
fn with_crs(mut response: Response, crs: Crs) -> Response {
    let value = format!("<{}>", crs.uri());
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("content-crs", value);
    }
    response
}

/// `GET /ogc/collections/{id}/items/{featureId}`.
pub async fn item(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
    Path((id, feature)): Path<(String, String)>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    only(&query, &["f", "crs"])?;
    let encoding = encoding(&query, &headers)?;
    let crs = query
        .get("crs")
        .map_or(Ok(Crs::Crs84), |c| Crs::parse("crs", c))
        .map_err(ApiError::bad_request)?;
    let base = format!("{}/ogc", base_url(&headers, &state));
    let source = Source::find(&state, &who, &id).await?;
    let layer = source.layer();
    let found = layer.feature_by_id(&feature).ok_or_else(|| {
        ApiError::not_found(format!(
            "collection {id:?} has no feature with id {feature:?}"
        ))
    })?;
    let mut body = oriented(layer.to_geojson_as(found, who.disclosure()), crs);
    let here = format!("{base}/collections/{id}");
    body["links"] = json!([
        link(
            format!("{here}/items/{}", urlencoding(&feature)),
            "self",
            GEOJSON,
            "this feature"
        ),
        link(here, "collection", "application/json", "the collection"),
    ]);
    Ok(with_crs(answer(body, GEOJSON, encoding), crs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cql2_not_equal_becomes_where_not_equal_outside_quotes_only() {
        assert_eq!(
            cql2_as_where("severity <> 3 AND name = 'a<>b'"),
            "severity != 3 AND name = 'a<>b'"
        );
    }

    #[test]
    fn datetime_reads_instants_and_open_or_closed_intervals_by_day() {
        let day = |s: &str| Some(s.to_string());
        assert_eq!(
            day_range("2025-06-01").unwrap(),
            (day("2025-06-01"), day("2025-06-01"))
        );
        assert_eq!(
            day_range("2025-06-01T08:00:00Z/..").unwrap(),
            (day("2025-06-01"), None)
        );
        assert_eq!(
            day_range("../2025-12-31").unwrap(),
            (None, day("2025-12-31"))
        );
        for bad in ["yesterday", "2025/06/01", "..", "2025-6-1"] {
            assert!(day_range(bad).is_err(), "{bad}");
        }
    }
}
