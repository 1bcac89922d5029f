use super::*;

fn demo() -> Atlas {
    crate::demo::generate(7, 1.0).into_loaded().atlas
}

#[test]
fn a_patch_changes_only_what_it_names() {
    let atlas = demo();
    let shelters = atlas.layer("shelters").unwrap();
    let first = &shelters.features()[0];
    let prepared = prepare(
        &atlas,
        "shelters",
        Request::Patch {
            id: first.id.to_string(),
            body: serde_json::json!({"properties": {"capacity": 7}}),
        },
    )
    .unwrap();
    assert_eq!(prepared.layer(&atlas).len(), shelters.len());
    // Expected from the feature as served, apart from the diff code.
    let served = shelters.feature_geojson(0).unwrap();
    let was = served["properties"]["capacity"].clone();
    assert_ne!(was, 7);
    let record = &prepared.record;
    assert!(record.diff);
    assert_eq!(
        record.before,
        Some(serde_json::json!({"properties": {"capacity": was}}))
    );
    assert_eq!(
        record.after,
        Some(serde_json::json!({"properties": {"capacity": 7}}))
    );
    let mut whole = served.clone();
    whole["properties"]["capacity"] = 7.into();
    assert_eq!(prepared.feature, Some(whole));
}

#[test]
fn bad_edits_are_refused_with_the_reason() {
    let atlas = demo();
    let id = atlas.layer("shelters").unwrap().features()[0]
        .id
        .to_string();
    let cases = [
        (
            Request::Patch {
                id: id.clone(),
                body: serde_json::json!({"properties": {"capacity": -5}}),
            },
            "capacity",
        ),
        (
            Request::Patch {
                id: id.clone(),
                body: serde_json::json!({"properties": {"colour": "red"}}),
            },
            "no field \"colour\"",
        ),
        (
            Request::Patch {
                id: id.clone(),
                body: serde_json::json!({"geometry": {"type": "LineString", "coordinates": [[105.0, 34.0], [105.1, 34.1]]}}),
            },
            "got a line",
        ),
        (
            Request::Insert {
                body: serde_json::json!({"id": id.clone(), "geometry": {"type": "Point", "coordinates": [105.0, 34.0]}}),
                key: None,
            },
            "already has",
        ),
        (
            Request::Delete {
                id: "no-such".into(),
            },
            "no feature",
        ),
    ];
    for (request, want) in cases {
        let err = prepare(&atlas, "shelters", request.clone())
            .map(|p| p.record)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{request:?}: {err}");
    }
}

#[test]
fn replaying_twice_is_the_same_as_once() {
    let atlas = demo();
    let shelters = atlas.layer("shelters").unwrap();
    let ids: Vec<String> = shelters.features()[..3]
        .iter()
        .map(|f| f.id.to_string())
        .collect();
    let mut records = Vec::new();
    let mut current = atlas.clone();
    for (i, request) in [
        Request::Delete { id: ids[0].clone() },
        Request::Patch {
            id: ids[1].clone(),
            body: serde_json::json!({"properties": {"capacity": 11}}),
        },
        Request::Insert {
            body: serde_json::json!({"geometry": {"type": "Point", "coordinates": [105.6, 34.5]}, "properties": {"name": "新增安置点", "capacity": 300}}),
            key: None,
        },
    ]
    .into_iter()
    .enumerate()
    {
        let prepared = prepare(&current, "shelters", request).unwrap();
        let layer = prepared.layer(&current);
        let mut record = prepared.record;
        record.seq = i as u64 + 1;
        current = current.with_layer(layer);
        records.push(record);
    }
    let (once, problems) = replay(&atlas, &records);
    assert!(problems.is_empty(), "{problems:?}");
    let (twice, _) = replay(&once, &records);
    for a in [&once, &twice] {
        assert_eq!(
            a.layer("shelters").unwrap().features(),
            current.layer("shelters").unwrap().features()
        );
    }
    assert_eq!(current.layer("shelters").unwrap().len(), shelters.len());
}

#[test]
fn update_diffs_replay_to_exactly_the_features_prepare_made() {
    let atlas = demo();
    let ids: Vec<String> = atlas.layer("shelters").unwrap().features()[..2]
        .iter()
        .map(|f| f.id.to_string())
        .collect();
    let mut current = atlas.clone();
    let mut records = Vec::new();
    let requests = [
        // A move, a changed property and a removed one, in one patch.
        Request::Patch {
            id: ids[0].clone(),
            body: serde_json::json!({
                "geometry": {"type": "Point", "coordinates": [105.61, 34.52]},
                "properties": {"capacity": 12, "contact_phone": null}
            }),
        },
        Request::Patch {
            id: ids[0].clone(),
            body: serde_json::json!({"properties": {"capacity": 13}}),
        },
        Request::Patch {
            id: ids[1].clone(),
            body: serde_json::json!({"properties": {"status": "closed"}}),
        },
        Request::Delete { id: ids[1].clone() },
    ];
    for (i, request) in requests.into_iter().enumerate() {
        let prepared = prepare(&current, "shelters", request).unwrap();
        let layer = prepared.layer(&current);
        let mut record = prepared.record;
        record.seq = i as u64 + 1;
        current = current.with_layer(layer);
        records.push(record);
    }
    assert!(records[..3].iter().all(|r| r.is_diff()));
    assert!(records[1].after.as_ref().unwrap().get("geometry").is_none());
    let want = current.layer("shelters").unwrap().features();
    // Over the files as loaded, and over files that already hold every edit (a
    // compaction that stopped before emptying the log): the same features.
    for base in [&atlas, &current] {
        let (replayed, problems) = replay(base, &records);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(replayed.layer("shelters").unwrap().features(), want);
    }
    let moved = current.layer("shelters").unwrap();
    let moved = moved
        .feature_geojson(moved.fid_of(&ids[0]).unwrap())
        .unwrap();
    assert_eq!(
        moved["geometry"]["coordinates"],
        serde_json::json!([105.61, 34.52])
    );
    assert_eq!(moved["properties"]["capacity"], 13);
    assert!(moved["properties"].get("contact_phone").is_none());
}

#[test]
fn a_diff_on_a_feature_nothing_later_accounts_for_is_reported() {
    let atlas = demo();
    let id = atlas.layer("shelters").unwrap().features()[0]
        .id
        .to_string();
    let mut record = prepare(
        &atlas,
        "shelters",
        Request::Patch {
            id: id.clone(),
            body: serde_json::json!({"properties": {"capacity": 5}}),
        },
    )
    .unwrap()
    .record;
    record.seq = 1;
    let without = prepare(&atlas, "shelters", Request::Delete { id }).unwrap();
    let gone = atlas.with_layer(without.layer(&atlas));
    let (_, problems) = replay(&gone, &[record]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("edit 1"), "{problems:?}");
}
