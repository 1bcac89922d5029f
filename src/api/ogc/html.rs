//! The HTML encoding of the OGC API pages (`f=html`, or a browser's `Accept:
//! text/html`): the same JSON answer drawn as a plain page — its links, its collections
//! or its features as tables — so a planner can browse the atlas in a browser and see
//! what QGIS will load. One renderer for every page, reading the answer's shape.

use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::collections::BTreeSet;

/// How an answer is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// JSON (GeoJSON for features): the default.
    Json,
    /// A page.
    Html,
}

impl Encoding {
    /// `f=json|html`, else HTML only when the client asks for it by name (a browser),
    /// JSON for everything else (GDAL, QGIS, OWSLib, curl's `*/*`).
    pub fn of(f: Option<&str>, accept: Option<&str>) -> Result<Encoding, String> {
        match f {
            Some("json") => Ok(Encoding::Json),
            Some("html") => Ok(Encoding::Html),
            Some(other) => Err(format!("f={other:?}: the encodings are json and html")),
            None => {
                let accept = accept.unwrap_or("");
                let html = accept.find("text/html");
                let json = accept.find("json");
                Ok(match (html, json) {
                    (Some(h), Some(j)) if h < j => Encoding::Html,
                    (Some(_), None) => Encoding::Html,
                    _ => Encoding::Json,
                })
            }
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A link to the HTML encoding of `href`.
fn as_page(href: &str) -> String {
    let separator = if href.contains('?') { '&' } else { '?' };
    if href.contains("f=json") {
        href.replace("f=json", "f=html")
    } else {
        format!("{href}{separator}f=html")
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn links_list(body: &Value) -> String {
    let mut out = String::new();
    for l in body["links"].as_array().into_iter().flatten() {
        let href = l["href"].as_str().unwrap_or("");
        let templated = l["templated"] == true;
        let target = if templated || !l["type"].as_str().unwrap_or("").contains("json") {
            href.to_string()
        } else {
            as_page(href)
        };
        out.push_str(&format!(
            "<li>{} — <a href=\"{}\">{}</a></li>",
            escape(l["rel"].as_str().unwrap_or("")),
            escape(&target),
            escape(l["title"].as_str().unwrap_or(href))
        ));
    }
    if out.is_empty() {
        out
    } else {
        format!("<h2>链接 Links</h2><ul>{out}</ul>")
    }
}

fn collections_table(collections: &[Value]) -> String {
    let mut rows = String::new();
    for c in collections {
        let self_href = c["links"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["rel"] == "self"))
            .and_then(|l| l["href"].as_str())
            .unwrap_or("");
        rows.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            escape(&as_page(self_href)),
            escape(&text(&c["id"])),
            escape(&text(&c["title"])),
            escape(&text(&c["description"]))
        ));
    }
    format!("<table><tr><th>id</th><th>名称 title</th><th>说明 description</th></tr>{rows}</table>")
}

fn features_table(features: &[Value], items_href: &str) -> String {
    let keys: BTreeSet<String> = features
        .iter()
        .flat_map(|f| {
            f["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
        })
        .collect();
    let mut out = String::from("<table><tr><th>id</th>");
    for k in &keys {
        out.push_str(&format!("<th>{}</th>", escape(k)));
    }
    out.push_str("</tr>");
    for f in features {
        let id = text(&f["id"]);
        let href = format!("{items_href}/{}", super::urlencoding(&id));
        out.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td>",
            escape(&as_page(&href)),
            escape(&id)
        ));
        for k in &keys {
            out.push_str(&format!("<td>{}</td>", escape(&text(&f["properties"][k]))));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// `body` as a page.
pub fn page(body: &Value) -> Response {
    let title = body["title"].as_str().or(body["id"].as_str()).unwrap_or(
        if body["type"] == "FeatureCollection" {
            "要素 Features"
        } else {
            "riskatlas OGC API"
        },
    );
    let mut main = format!("<h1>{}</h1>", escape(title));
    if let Some(d) = body["description"].as_str() {
        main.push_str(&format!("<p>{}</p>", escape(d)));
    }
    if let Some(collections) = body["collections"].as_array() {
        main.push_str(&collections_table(collections));
    }
    if let Some(features) = body["features"].as_array() {
        main.push_str(&format!(
            "<p class=count>{} / {} 个要素 features</p>",
            text(&body["numberReturned"]),
            text(&body["numberMatched"])
        ));
        let items = body["links"]
            .as_array()
            .and_then(|ls| ls.iter().find(|l| l["rel"] == "self"))
            .and_then(|l| l["href"].as_str())
            .map(|h| h.split('?').next().unwrap_or(h).to_string())
            .unwrap_or_default();
        main.push_str(&features_table(features, &items));
    }
    if body["type"] == "Feature" {
        main.push_str("<table>");
        for (k, v) in body["properties"].as_object().into_iter().flatten() {
            main.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(k),
                escape(&text(v))
            ));
        }
        main.push_str(&format!(
            "<tr><th>geometry</th><td>{}</td></tr></table>",
            escape(&text(&body["geometry"]["type"]))
        ));
    }
    if let Some(classes) = body["conformsTo"].as_array() {
        main.push_str("<ul>");
        for c in classes {
            main.push_str(&format!("<li>{}</li>", escape(&text(c))));
        }
        main.push_str("</ul>");
    }
    main.push_str(&links_list(body));
    Html(format!(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>{}</title>\
         <style>body{{font:14px sans-serif;margin:2em}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}}</style>\
         {main}</html>",
        escape(title)
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_pages_and_clients_get_json() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(Encoding::of(None, Some(chrome)), Ok(Encoding::Html));
        assert_eq!(
            Encoding::of(None, Some("application/geo+json, application/json")),
            Ok(Encoding::Json)
        );
        assert_eq!(Encoding::of(None, Some("*/*")), Ok(Encoding::Json));
        assert_eq!(Encoding::of(None, None), Ok(Encoding::Json));
        assert_eq!(
            Encoding::of(Some("html"), Some("application/json")),
            Ok(Encoding::Html)
        );
        assert!(
            Encoding::of(Some("xml"), None)
                .unwrap_err()
                .contains("json and html")
        );
    }
}
