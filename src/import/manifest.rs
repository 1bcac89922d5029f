//! `atlas.toml`: the manifest of a data folder, parsed into checked layer specs.

use super::source::TextEncoding;
use crate::atlas::{Kind, LayerId};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The manifest as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: String,
    #[serde(default)]
    attribution: String,
    #[serde(default, rename = "layer")]
    layers: Vec<RawLayerSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLayerSpec {
    id: String,
    kind: String,
    file: PathBuf,
    name: Option<String>,
    /// canonical name = source field name
    #[serde(default)]
    fields: BTreeMap<String, String>,
    /// canonical name = value for features that lack it (reported in the load report)
    #[serde(default)]
    defaults: BTreeMap<String, toml::Value>,
    /// CSV: the longitude and latitude columns (auto-detected when absent).
    lon: Option<String>,
    lat: Option<String>,
    /// CSV: the field separator, default ','.
    delimiter: Option<char>,
    /// CSV: the text encoding, "utf-8" or "gb18030" (detected when absent).
    encoding: Option<String>,
    /// Fields (source or canonical names) holding personal data, besides the contacts.
    #[serde(default)]
    personal: Vec<String>,
}

/// A checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The atlas's title.
    pub name: String,
    /// Credit for the data, shown on the map (empty when not given).
    pub attribution: String,
    /// The layers, in the order the file lists them (the map's drawing order).
    pub layers: Vec<LayerSpec>,
}

/// One layer entry, checked: a valid id and kind, a file path resolved against the folder.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// The layer's id.
    pub id: LayerId,
    /// What it holds.
    pub kind: Kind,
    /// Its title (the id when the entry gives none).
    pub name: String,
    /// The data file, resolved against the data folder.
    pub file: PathBuf,
    /// source field name → canonical name
    pub rename: BTreeMap<String, String>,
    /// Values for missing canonical attributes.
    pub defaults: BTreeMap<String, serde_json::Value>,
    /// CSV: the longitude column (auto-detected when None).
    pub lon: Option<String>,
    /// CSV: the latitude column (auto-detected when None).
    pub lat: Option<String>,
    /// CSV: the field separator, an ASCII byte.
    pub delimiter: u8,
    /// CSV: the text encoding (detected when None).
    pub encoding: Option<TextEncoding>,
    /// Fields (source or canonical names) that hold personal data besides
    /// [`crate::atlas::personal::PERSONAL_ATTRS`], which always do.
    pub personal: std::collections::BTreeSet<String>,
}

/// The manifest of a data folder.
pub const MANIFEST_FILE: &str = "atlas.toml";

/// One `[[layer]]` entry as `riskatlas import` writes it.
#[derive(serde::Serialize)]
struct Entry<'a> {
    id: &'a str,
    kind: &'a str,
    name: &'a str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    lon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lat: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delimiter: Option<char>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'a str>,
    /// canonical name = source field name
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    fields: BTreeMap<&'a str, &'a str>,
}

impl LayerSpec {
    /// Whether the layer's field `name` (as the schema names it: canonical, or the
    /// source's own) holds personal data.
    pub fn is_personal(&self, name: &str) -> bool {
        crate::atlas::personal::PERSONAL_ATTRS.contains(&name)
            || self.personal.contains(name)
            || self
                .rename
                .iter()
                .any(|(source, canonical)| canonical == name && self.personal.contains(source))
    }

    /// This layer as a `[[layer]]` entry of `atlas.toml`, serialised by the toml crate
    /// (so any name or field is quoted as TOML requires), with its data in `file`.
    pub fn to_toml_entry(&self, file: &str) -> String {
        #[derive(serde::Serialize)]
        struct One<'a> {
            layer: [Entry<'a>; 1],
        }
        let entry = Entry {
            id: self.id.as_str(),
            kind: self.kind.code(),
            name: &self.name,
            file,
            lon: self.lon.as_deref(),
            lat: self.lat.as_deref(),
            delimiter: (self.delimiter != b',').then_some(char::from(self.delimiter)),
            encoding: self.encoding.map(TextEncoding::name),
            fields: self
                .rename
                .iter()
                .map(|(source, canonical)| (canonical.as_str(), source.as_str()))
                .collect(),
        };
        toml::to_string(&One { layer: [entry] }).expect("strings and maps serialise to TOML")
    }
}

/// Appends `spec` to the manifest text of `dir/atlas.toml` (or a new one named after
/// the folder), keeping what is there, comments included, and writes it atomically (a
/// temporary file renamed over the old one), so a crash leaves the old manifest or the
/// new one, never half of one.
pub fn append_layer(dir: &Path, spec: &LayerSpec, file: &str) -> Result<(), ManifestError> {
    let path = dir.join(MANIFEST_FILE);
    let mut text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "name = {}\n",
            toml::Value::String(dir.display().to_string())
        ),
        Err(source) => return Err(ManifestError::Read { path, source }),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&spec.to_toml_entry(file));
    let write = |p: &Path| std::fs::write(p, &text);
    let temp = dir.join(format!(".{MANIFEST_FILE}.new"));
    write(&temp)
        .and_then(|_| std::fs::rename(&temp, &path))
        .map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })
}

/// Why a manifest cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file system refused (reading it, or writing it back). The cause is the
    /// source, not part of the message, so a chain of causes says it once.
    #[error("cannot read {path}")]
    Read {
        /// The manifest file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or not the manifest's shape (an unknown key, a missing `name`).
    #[error("{path} is not a valid manifest")]
    Parse {
        /// The manifest file.
        path: PathBuf,
        /// Where and what, as the toml crate says.
        #[source]
        source: toml::de::Error,
    },
    /// A `[[layer]]` entry breaks a rule.
    #[error("{path}: layer {number}: {reason}", number = index + 1)]
    Layer {
        /// The manifest file.
        path: PathBuf,
        /// The entry's position, 0-based (the message counts from 1, as a reader of the
        /// file counts its `[[layer]]` entries).
        index: usize,
        /// The rule broken.
        reason: String,
    },
}

impl Manifest {
    /// Reads `dir/atlas.toml`.
    pub fn read(dir: &Path) -> Result<Manifest, ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        Manifest::parse(&text, dir).map_err(|e| match e {
            ManifestError::Parse { source, .. } => ManifestError::Parse {
                path: path.clone(),
                source,
            },
            ManifestError::Layer { index, reason, .. } => ManifestError::Layer {
                path: path.clone(),
                index,
                reason,
            },
            other => other,
        })
    }

    /// Parses manifest text; layer files resolve against `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|source| ManifestError::Parse {
            path: "atlas.toml".into(),
            source,
        })?;
        let mut seen = HashSet::new();
        let mut layers = Vec::with_capacity(raw.layers.len());
        for (index, spec) in raw.layers.into_iter().enumerate() {
            let layer = spec
                .check(dir, &mut seen)
                .map_err(|reason| ManifestError::Layer {
                    path: "atlas.toml".into(),
                    index,
                    reason,
                })?;
            layers.push(layer);
        }
        Ok(Manifest {
            name: raw.name,
            attribution: raw.attribution,
            layers,
        })
    }
}

impl RawLayerSpec {
    /// The entry checked, in this order: its id (valid, and not among the `seen` ones),
    /// kind, file, delimiter, field mapping and defaults; the first fault is the error.
    fn check(self, dir: &Path, seen: &mut HashSet<LayerId>) -> Result<LayerSpec, String> {
        let id = LayerId::parse(&self.id).map_err(|e| e.to_string())?;
        if !seen.insert(id.clone()) {
            return Err(format!("duplicate layer id {:?}", self.id));
        }
        let kind: Kind = self
            .kind
            .parse()
            .map_err(|e: crate::atlas::kind::UnknownKind| e.to_string())?;
        inside_folder(&self.file)?;
        let delimiter = delimiter_byte(self.delimiter)?;
        let encoding = self
            .encoding
            .as_deref()
            .map(TextEncoding::parse)
            .transpose()?;
        let rename = rename_map(self.fields)?;
        let defaults = default_values(self.defaults, kind)?;
        Ok(LayerSpec {
            defaults,
            name: self.name.unwrap_or_else(|| self.id.clone()),
            id,
            kind,
            file: dir.join(&self.file),
            rename,
            lon: self.lon,
            lat: self.lat,
            delimiter,
            encoding,
            personal: self.personal.into_iter().collect(),
        })
    }
}

/// Refuses a layer file outside the data folder: an absolute path or one through `..`.
fn inside_folder(file: &Path) -> Result<(), String> {
    if file.is_absolute()
        || file
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "file {file:?} must be a relative path inside the data folder"
        ));
    }
    Ok(())
}

/// The CSV field separator as a byte: ',' unless given, and then one ASCII character.
fn delimiter_byte(delimiter: Option<char>) -> Result<u8, String> {
    match delimiter {
        None => Ok(b','),
        Some(c) if c.is_ascii() => Ok(c as u8),
        Some(c) => Err(format!("delimiter {c:?} must be a single ASCII character")),
    }
}

/// `[layer.fields]` (canonical name = source field name) turned round into source field
/// name → canonical name, as the reader meets them; each target must be a field name
/// (an attribute of the kind, `id`, or an extra field's name) and each source mapped
/// once. `riskatlas import --map` takes the same.
pub fn rename_map(fields: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    let mut rename = BTreeMap::new();
    for (canonical, source) in fields {
        if LayerId::parse(&canonical).is_err()
            && !canonical.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return Err(format!(
                "field mapping target {canonical:?} is not a valid field name"
            ));
        }
        if let Some(previous) = rename.insert(source.clone(), canonical.clone()) {
            return Err(format!(
                "source field {source:?} is mapped twice ({previous}, {canonical})"
            ));
        }
    }
    Ok(rename)
}

/// `[layer.defaults]` as JSON values, each for an attribute of `kind`.
fn default_values(
    defaults: BTreeMap<String, toml::Value>,
    kind: Kind,
) -> Result<BTreeMap<String, serde_json::Value>, String> {
    let defaults = defaults
        .into_iter()
        .map(|(k, v)| serde_json::to_value(v).map(|j| (k, j)))
        .collect::<Result<BTreeMap<_, _>, _>>()
        .map_err(|e| format!("defaults: {e}"))?;
    if let Some(unknown) = defaults.keys().find(|k| kind.attr(k).is_none()) {
        let hint =
            crate::atlas::suggest::did_you_mean(unknown, kind.attrs().iter().map(|a| a.name));
        return Err(format!(
            "default for {unknown:?}, which is not an attribute of a {kind} layer{hint}"
        ));
    }
    Ok(defaults)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry appended by `riskatlas import` reads back as the layer it describes,
    /// with a quote and a newline in its name, and the comments already in the
    /// manifest survive.
    #[test]
    fn an_appended_layer_reads_back_and_keeps_the_manifest_comments() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            "# our county\nname = \"t\"\n",
        )
        .unwrap();
        let spec = LayerSpec {
            id: LayerId::parse("people").unwrap(),
            kind: Kind::Population,
            name: "村 \"east\"\nside".into(),
            file: "people.csv".into(),
            rename: [("户籍人口".to_string(), "population".to_string())].into(),
            defaults: BTreeMap::new(),
            lon: Some("经度".into()),
            lat: None,
            delimiter: b';',
            encoding: Some(TextEncoding::Gb18030),
            personal: Default::default(),
        };
        append_layer(dir.path(), &spec, "people.csv").unwrap();
        let text = std::fs::read_to_string(dir.path().join(MANIFEST_FILE)).unwrap();
        assert!(text.starts_with("# our county\n"), "{text}");
        let m = Manifest::parse(&text, dir.path()).unwrap();
        let l = &m.layers[0];
        assert_eq!(l.id.as_str(), "people");
        assert_eq!(l.kind, Kind::Population);
        assert_eq!(l.name, "村 \"east\"\nside");
        assert_eq!(l.lon.as_deref(), Some("经度"));
        assert_eq!(
            (l.delimiter, l.encoding),
            (b';', Some(TextEncoding::Gb18030))
        );
        assert_eq!(
            l.rename.get("户籍人口").map(String::as_str),
            Some("population")
        );
    }

    #[test]
    fn a_manifest_with_chinese_field_mapping_parses() {
        let m = Manifest::parse(
            r#"
            name = "Demo"
            [[layer]]
            id = "landslides"
            kind = "landslide"
            file = "landslides.geojson"
            [layer.fields]
            threatened_people = "威胁人数"
            "#,
            Path::new("d"),
        )
        .unwrap();
        assert_eq!(
            m.layers[0].rename.get("威胁人数").map(String::as_str),
            Some("threatened_people")
        );
        assert_eq!(m.layers[0].file, Path::new("d/landslides.geojson"));
    }

    #[test]
    fn bad_layer_entries_name_the_layer_and_the_problem() {
        let cases = [
            (
                "id = \"Bad Id\"\nkind = \"flood\"\nfile = \"a.geojson\"",
                "invalid layer id",
            ),
            (
                "id = \"a\"\nkind = \"volcano\"\nfile = \"a.geojson\"",
                "unknown layer kind",
            ),
            (
                "id = \"a\"\nkind = \"flood\"\nfile = \"../etc/passwd\"",
                "relative path",
            ),
            (
                "id = \"a\"\nkind = \"flood\"\nfile = \"a.geojson\"\ncolour = 1",
                "unknown field",
            ),
        ];
        for (layer, expected) in cases {
            let text = format!("name = \"x\"\n[[layer]]\n{layer}\n");
            let err =
                super::super::with_causes(&Manifest::parse(&text, Path::new(".")).unwrap_err());
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    #[test]
    fn duplicate_layer_ids_are_refused() {
        let text = "name = \"x\"\n[[layer]]\nid = \"a\"\nkind = \"flood\"\nfile = \"a.geojson\"\n[[layer]]\nid = \"a\"\nkind = \"road\"\nfile = \"b.geojson\"\n";
        assert!(
            Manifest::parse(text, Path::new("."))
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
    }
}
