//! Candidate drill scenarios, generated from one township's view of the atlas.

use crate::analysis::hazards::{DEFAULT_THREAT_RADIUS_M, anchor};
use crate::atlas::{Atlas, Kind, Layer};
use geo::{Distance, Haversine};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// What candidates to generate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CandidateOptions {
    /// One scenario per flood return period present.
    pub floods: bool,
    /// Geohazard points whose threat circles come within this many metres of one
    /// another form one cluster, and one scenario (0: one scenario per point).
    pub cluster_gap_m: f64,
    /// Fire-danger zones at this level and above form one scenario (None: none).
    pub fire_level: Option<i64>,
    /// Earthquakes to rehearse: `{"lon", "lat", "magnitude"}` as a scenario takes them.
    pub earthquakes: Vec<Json>,
    /// Scenarios the designer supplies, as `POST /api/impact` takes them.
    pub scenarios: Vec<Json>,
}

impl Default for CandidateOptions {
    fn default() -> Self {
        CandidateOptions {
            floods: true,
            cluster_gap_m: DEFAULT_CLUSTER_GAP_M,
            fire_level: Some(DEFAULT_FIRE_LEVEL),
            earthquakes: Vec::new(),
            scenarios: Vec::new(),
        }
    }
}

/// Default gap between threat circles of one geohazard cluster: half a kilometre, the
/// distance one village's drill can cover on foot.
pub const DEFAULT_CLUSTER_GAP_M: f64 = 500.0;

/// Default fire-danger level a fire drill starts from (levels 1–5; 4 is "high").
pub const DEFAULT_FIRE_LEVEL: i64 = 4;

/// The most geohazard points one cluster scenario names.
pub const MAX_CLUSTER_POINTS: usize = 200;

/// One candidate drill: a scenario and what it rehearses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// A stable id (`{township}/{kind}/{detail}`).
    pub id: String,
    /// `flood`, `geohazard`, `wildfire`, `earthquake` or `supplied`.
    pub kind: &'static str,
    /// What it is, in words (`50-year flood`, `3 landslide points near 凤坪村`).
    pub title: String,
    /// The scenario, as `POST /api/impact` takes it.
    pub scenario: Json,
}

/// The candidates of one township's view (`township` is its code, for ids).
pub fn candidates_for(view: &Atlas, township: &str, options: &CandidateOptions) -> Vec<Candidate> {
    let mut out = Vec::new();
    for layer in view.layers() {
        match layer.kind {
            Kind::Flood if options.floods => out.extend(floods(layer, township)),
            Kind::Landslide => out.extend(clusters(layer, township, options.cluster_gap_m)),
            Kind::Wildfire => out.extend(options.fire_level.and_then(|l| fire(layer, township, l))),
            _ => {}
        }
    }
    for (i, quake) in options.earthquakes.iter().enumerate() {
        out.push(Candidate {
            id: format!("{township}/earthquake/{i}"),
            kind: "earthquake",
            title: format!("M{} earthquake", quake["magnitude"]),
            scenario: json!({"hazards": [{"earthquake": quake}]}),
        });
    }
    for (i, scenario) in options.scenarios.iter().enumerate() {
        out.push(Candidate {
            id: format!("{township}/supplied/{i}"),
            kind: "supplied",
            title: format!("supplied scenario {}", i + 1),
            scenario: scenario.clone(),
        });
    }
    out
}

/// One scenario per return period the layer's zones carry (one for the layer without).
fn floods(layer: &Layer, township: &str) -> Vec<Candidate> {
    let mut periods: Vec<i64> = (0..layer.len() as u32)
        .filter_map(|fid| layer.value(fid, "return_period_years").as_f64())
        .map(|y| y.round() as i64)
        .collect();
    periods.sort_unstable();
    periods.dedup();
    if periods.is_empty() && !layer.is_empty() {
        return vec![Candidate {
            id: format!("{township}/flood/{}", layer.id),
            kind: "flood",
            title: layer.name.clone(),
            scenario: json!({"hazards": [{"layer": layer.id.as_str()}]}),
        }];
    }
    periods
        .into_iter()
        .map(|years| Candidate {
            id: format!("{township}/flood/{}/{years}", layer.id),
            kind: "flood",
            title: format!("{years}-year flood {years}年一遇洪水"),
            scenario: json!({"hazards": [{"layer": layer.id.as_str(),
                "where": {"return_period_years": {"eq": years}}}]}),
        })
        .collect()
}

/// Fire-danger zones at `level` and above, if the layer has any.
fn fire(layer: &Layer, township: &str, level: i64) -> Option<Candidate> {
    let any = (0..layer.len() as u32).any(|fid| {
        layer
            .value(fid, "danger_level")
            .as_f64()
            .is_some_and(|l| l >= level as f64)
    });
    any.then(|| Candidate {
        id: format!("{township}/wildfire/{}/{level}", layer.id),
        kind: "wildfire",
        title: format!("fire danger {level} and above 森林火险{level}级及以上"),
        scenario: json!({"hazards": [{"layer": layer.id.as_str(),
            "where": {"danger_level": {"gte": level}}}]}),
    })
}

/// Geohazard points grouped by their threat circles (single linkage: two points are in
/// one cluster when their circles come within `gap_m`), one scenario per cluster.
fn clusters(layer: &Layer, township: &str, gap_m: f64) -> Vec<Candidate> {
    let points: Vec<(u32, geo::Point<f64>, f64)> = (0..layer.len() as u32)
        .filter_map(|fid| {
            let p = anchor(&layer.features()[fid as usize].geometry)?;
            let r = layer
                .value(fid, "threat_radius_m")
                .as_f64()
                .unwrap_or(DEFAULT_THREAT_RADIUS_M);
            Some((fid, p, r))
        })
        .collect();
    let mut group: Vec<usize> = (0..points.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    for i in 0..points.len() {
        for j in i + 1..points.len() {
            let (a, b) = (&points[i], &points[j]);
            if Haversine.distance(a.1, b.1) <= a.2 + b.2 + gap_m {
                let (ri, rj) = (root(&mut group, i), root(&mut group, j));
                group[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut members: std::collections::BTreeMap<usize, Vec<u32>> = Default::default();
    for (i, point) in points.iter().enumerate() {
        let r = root(&mut group, i);
        members.entry(r).or_default().push(point.0);
    }
    members
        .into_values()
        .filter(|fids| fids.len() <= MAX_CLUSTER_POINTS)
        .map(|fids| {
            let ids: Vec<&str> = fids
                .iter()
                .map(|&f| &*layer.features()[f as usize].id)
                .collect();
            let first = layer.features()[fids[0] as usize].id.to_string();
            let near = layer
                .value(fids[0], "name")
                .as_str()
                .unwrap_or(&first)
                .to_string();
            Candidate {
                id: format!("{township}/geohazard/{}/{first}", layer.id),
                kind: "geohazard",
                title: format!(
                    "{} geohazard point(s) from {near} 地质灾害隐患点",
                    ids.len()
                ),
                scenario: json!({"hazards": [{"layer": layer.id.as_str(), "ids": ids}]}),
            }
        })
        .collect()
}
