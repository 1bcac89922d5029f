//! Checks an evacuation plan against independent computations over every pair within
//! reach: the reference min-cost-flow solver (successive shortest paths), networkx's
//! network simplex, and the plan's own certificate re-checked pair by pair.

use riskatlas::analysis::evacuation::{ReachTable, UNPLACED_COST_S, plan, reach_table};
use riskatlas::analysis::{Impact, Scenario, analyse};
use riskatlas::atlas::Atlas;
use riskatlas::routing::RoadGraph;
use riskatlas::routing::flow::FlowNetwork;
use serde_json::{Value, json};
use std::collections::HashMap;

/// What a full-graph solve says: total cost (with `UNPLACED_COST_S` per unplaced
/// person) and people placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullSolve {
    pub cost: i64,
    pub placed: i64,
}

fn cost(seconds: f64) -> i64 {
    seconds.round().max(0.0) as i64
}

/// The reference solver over every pair of the table.
pub fn reference(table: &ReachTable) -> FullSolve {
    let (n, m) = (table.units.len(), table.shelters.len());
    let (source, sink) = (n + m, n + m + 1);
    let mut net = FlowNetwork::new(n + m + 2);
    let mut unplaced = Vec::new();
    let mut total = 0;
    for (u, (_, people)) in table.units.iter().enumerate() {
        net.add_arc(source, u, *people, 0);
        unplaced.push(net.add_arc(u, sink, *people, UNPLACED_COST_S));
        total += people;
    }
    for (s, (_, room)) in table.shelters.iter().enumerate() {
        net.add_arc(n + s, sink, *room, 0);
    }
    for &(u, s, secs) in &table.pairs {
        net.add_arc(u, n + s, table.units[u].1, cost(secs));
    }
    let (flow, cost) = net.min_cost_flow(source, sink, total);
    assert_eq!(flow, total, "the unplaced arcs carry whoever is left");
    let left: i64 = unplaced.iter().map(|&a| net.flow(a)).sum();
    FullSolve {
        cost,
        placed: total - left,
    }
}

/// networkx over every pair of the table (python3 with networkx, which
/// scripts/install-deps installs).
pub fn networkx(table: &ReachTable) -> FullSolve {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("instance.json");
    let instance = json!({
        "unplaced_cost": UNPLACED_COST_S,
        "units": table.units.iter().map(|u| u.1).collect::<Vec<_>>(),
        "shelters": table.shelters.iter().map(|s| s.1).collect::<Vec<_>>(),
        "pairs": table.pairs.iter().map(|&(u, s, secs)| json!([u, s, cost(secs)])).collect::<Vec<_>>(),
    });
    std::fs::write(&path, instance.to_string()).expect("writes the instance");
    let out = std::process::Command::new("python3")
        .arg(super::repo_path("tests/python/networkx_min_cost_flow.py"))
        .arg(&path)
        .output()
        .expect("python3 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains("No module named 'networkx'"),
        "networkx is missing: run scripts/install-deps (it installs networkx from PyPI)"
    );
    assert!(out.status.success(), "networkx failed:\n{text}");
    let v: Value = serde_json::from_str(text.trim()).expect("one JSON line");
    FullSolve {
        cost: v["cost"].as_i64().expect("cost"),
        placed: v["placed"].as_i64().expect("placed"),
    }
}

/// The plan's cost in the table's terms (each assignment at its pair's whole seconds,
/// each unplaced person at `UNPLACED_COST_S`), asserting every assignment is a pair
/// within reach.
pub fn plan_cost(plan: &Value, table: &ReachTable) -> FullSolve {
    let seconds = pair_seconds(table);
    let mut total = 0;
    let mut placed = 0;
    for a in plan["assignments"].as_array().expect("assignments") {
        let key = (
            a["unit_id"].as_str().expect("unit id").to_string(),
            a["shelter_id"].as_str().expect("shelter id").to_string(),
        );
        let secs = seconds
            .get(&key)
            .unwrap_or_else(|| panic!("assignment {key:?} is not a pair within reach"));
        let people = a["people"].as_i64().expect("people");
        total += people * cost(*secs);
        placed += people;
    }
    let unplaced = plan["totals"]["unassigned"].as_i64().expect("unassigned");
    FullSolve {
        cost: total + unplaced * UNPLACED_COST_S,
        placed,
    }
}

fn pair_seconds(table: &ReachTable) -> HashMap<(String, String), f64> {
    table
        .pairs
        .iter()
        .map(|&(u, s, secs)| {
            (
                (table.units[u].0.clone(), table.shelters[s].0.clone()),
                secs,
            )
        })
        .collect()
}

/// Re-checks the plan's certificate over every pair of the table: no pair has a
/// negative reduced cost `round(seconds) − p_unit + p_shelter`; pairs people travel on
/// have a zero one; a unit with people unplaced is priced at the unplaced cost; a
/// shelter with a price is full. Returns the number of pairs checked.
pub fn check_certificate(plan: &Value, table: &ReachTable) -> usize {
    let prices = &plan["optimality"]["prices"];
    let unit_price = |id: &str| {
        prices["units"][id]
            .as_i64()
            .unwrap_or_else(|| panic!("no price for unit {id}"))
    };
    let shelter_price = |id: &str| {
        prices["shelters"][id]
            .as_i64()
            .unwrap_or_else(|| panic!("no price for shelter {id}"))
    };
    for &(u, s, secs) in &table.pairs {
        let (unit, shelter) = (&table.units[u].0, &table.shelters[s].0);
        let reduced = cost(secs) - unit_price(unit) + shelter_price(shelter);
        assert!(
            reduced >= 0,
            "pair {unit} → {shelter} ({secs} s) prices out at {reduced}: the plan is not optimal"
        );
    }
    let seconds = pair_seconds(table);
    for a in plan["assignments"].as_array().expect("assignments") {
        let (unit, shelter) = (
            a["unit_id"].as_str().expect("id"),
            a["shelter_id"].as_str().expect("id"),
        );
        let secs = seconds[&(unit.to_string(), shelter.to_string())];
        assert_eq!(
            cost(secs) - unit_price(unit) + shelter_price(shelter),
            0,
            "people travel {unit} → {shelter} at a non-zero reduced cost"
        );
    }
    for x in plan["unassigned"].as_array().expect("unassigned") {
        let unit = x["unit_id"].as_str().expect("id");
        assert_eq!(
            unit_price(unit),
            UNPLACED_COST_S,
            "unit {unit} leaves people unplaced below the unplaced cost"
        );
    }
    let mut load: HashMap<&str, i64> = HashMap::new();
    for a in plan["assignments"].as_array().expect("assignments") {
        *load
            .entry(a["shelter_id"].as_str().expect("id"))
            .or_default() += a["people"].as_i64().expect("people");
    }
    for (id, room) in &table.shelters {
        if shelter_price(id) > 0 {
            assert_eq!(
                load.get(id.as_str()).copied().unwrap_or(0),
                *room,
                "shelter {id} has a price but room left"
            );
        }
    }
    table.pairs.len()
}

/// A plan and the table of every pair within reach, for one request on `atlas`.
pub fn plan_and_table(atlas: &Atlas, request: &Value) -> (Value, ReachTable) {
    let graph = RoadGraph::from_atlas(atlas);
    let mut body = request.clone();
    let options =
        riskatlas::service::analyses::evacuation_options(&mut body).expect("valid options");
    let scenario = Scenario::parse(&body, atlas).expect("a valid scenario");
    let impact: Impact = analyse(atlas, &scenario);
    let p = plan(
        atlas,
        &impact,
        graph.as_ref(),
        &options,
        scenario.period,
        &scenario.needs,
        scenario.days,
    )
    .expect("a plan");
    let table =
        reach_table(atlas, &impact, graph.as_ref(), &options, scenario.period).expect("a table");
    (serde_json::to_value(&p).expect("serialises"), table)
}

/// The full-graph checks: the same people placed and the same cost as both solvers over
/// every pair, and a certificate that holds on every pair.
pub fn assert_optimal_over_every_pair(plan: &Value, table: &ReachTable, with_networkx: bool) {
    assert_eq!(plan["optimality"]["proved"], true, "{}", plan["optimality"]);
    let full = reference(table);
    let ours = plan_cost(plan, table);
    assert_eq!(
        ours,
        full,
        "plan vs the reference over all {} pairs",
        table.pairs.len()
    );
    if with_networkx {
        assert_eq!(networkx(table), full, "networkx vs the reference");
    }
    let checked = check_certificate(plan, table);
    assert_eq!(checked, table.pairs.len());
}
