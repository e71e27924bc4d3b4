use super::*;
use serde_json::Value;

/// Schedules scikit-learn 1.9.1 computed (scripts/halving_reference.py).
fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/halving_schedules.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference file")).unwrap()
}

fn spec_of(case: &Value) -> HalvingSpec {
    let count = |v: &Value| v.as_u64();
    HalvingSpec {
        factor: case["factor"].as_f64().unwrap(),
        resource: match case["resource"].as_str().unwrap() {
            "n_samples" => Resource::NSamples,
            name => Resource::Param(name.to_string()),
        },
        min_resources: match (&case["min_resources"], count(&case["min_resources"])) {
            (_, Some(n)) => MinResources::Count(n),
            (v, None) if v == "exhaust" => MinResources::Exhaust,
            _ => MinResources::Smallest,
        },
        max_resources: count(&case["max_resources"])
            .map_or(MaxResources::Auto, MaxResources::Count),
        aggressive_elimination: case["aggressive_elimination"].as_bool().unwrap(),
        n_candidates: match (case["random"].as_bool().unwrap(), &case["candidates"]) {
            (false, _) => None,
            (true, v) if v == "exhaust" => Some(NCandidates::Exhaust),
            (true, v) => Some(NCandidates::Count(v.as_u64().unwrap() as usize)),
        },
    }
}

fn facts_of(case: &Value) -> DataFacts {
    DataFacts {
        n_samples: case["n_samples"].as_u64().unwrap(),
        n_splits: case["folds"].as_u64().unwrap() as usize,
        n_classes: case["n_classes"].as_u64().map(|n| n as usize),
    }
}

#[test]
fn schedules_equal_scikit_learns() {
    let reference = reference();
    let cases = reference["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (spec, facts) = (spec_of(case), facts_of(case));
        let n = match spec.candidates_to_draw(&facts).unwrap() {
            Some(drawn) => drawn,
            None => case["candidates"].as_u64().unwrap() as usize,
        };
        let s = spec.schedule(n, &facts).unwrap();
        let want = &case["expected"];
        let candidates: Vec<u64> = s.rounds.iter().map(|r| r.n_candidates as u64).collect();
        let resources: Vec<u64> = s.rounds.iter().map(|r| r.n_resources).collect();
        let as_vec = |v: &Value| -> Vec<u64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect()
        };
        assert_eq!(candidates, as_vec(&want["n_candidates_"]), "{name}");
        assert_eq!(resources, as_vec(&want["n_resources_"]), "{name}");
        assert_eq!(s.n_iterations as u64, want["n_iterations_"], "{name}");
        assert_eq!(
            s.n_required_iterations as u64, want["n_required_iterations_"],
            "{name}"
        );
        assert_eq!(
            s.n_possible_iterations as u64, want["n_possible_iterations_"],
            "{name}"
        );
        assert_eq!(
            s.min_resources,
            want["min_resources_"].as_f64().unwrap(),
            "{name}"
        );
        assert_eq!(
            s.max_resources,
            want["max_resources_"].as_u64().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn top_k_equals_scikit_learns_without_ties() {
    for case in reference()["top_k"].as_array().unwrap() {
        let scores: Vec<f64> = case["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_f64().unwrap_or(f64::NAN))
            .collect();
        let k = case["k"].as_u64().unwrap() as usize;
        let kept: Vec<u64> = top_k(&scores, k).iter().map(|&i| i as u64).collect();
        assert_eq!(Value::from(kept), case["kept"], "{scores:?}");
    }
}

#[test]
fn top_k_ties_go_to_the_later_candidate() {
    // Ascending, failed lowest; of the equal 0.5s the later ones rank higher.
    let scores = [0.5, f64::NAN, 0.9, 0.5, 0.5, 0.1];
    assert_eq!(top_k(&scores, 3), vec![3, 4, 2]);
    assert_eq!(top_k(&scores, 6), vec![1, 5, 0, 3, 4, 2]);
    assert_eq!(top_k(&scores, 10).len(), 6);
}

#[test]
fn best_of_round_is_the_first_maximum_ignoring_failures() {
    assert_eq!(best_of_round(&[0.2, f64::NAN, 0.7, 0.7]), 2);
    assert_eq!(best_of_round(&[f64::NAN, 0.1]), 1);
    assert_eq!(best_of_round(&[f64::NAN, f64::NAN]), 0);
}

fn spec(resource: Resource, min: MinResources, max: MaxResources) -> HalvingSpec {
    HalvingSpec {
        factor: 3.0,
        resource,
        min_resources: min,
        max_resources: max,
        aggressive_elimination: false,
        n_candidates: None,
    }
}

const FACTS: DataFacts = DataFacts {
    n_samples: 1000,
    n_splits: 5,
    n_classes: Some(3),
};

#[test]
fn impossible_bounds_are_errors() {
    let param = Resource::Param("n_estimators".into());
    let e = spec(param.clone(), MinResources::Smallest, MaxResources::Auto)
        .schedule(10, &FACTS)
        .unwrap_err();
    assert!(e.contains("max_resources is required"), "{e}");
    let e = spec(param, MinResources::Count(50), MaxResources::Count(20))
        .schedule(10, &FACTS)
        .unwrap_err();
    assert!(
        e.contains("min_resources 50 is greater than max_resources 20"),
        "{e}"
    );
    let tiny = DataFacts {
        n_samples: 20,
        ..FACTS
    };
    let e = spec(
        Resource::NSamples,
        MinResources::Smallest,
        MaxResources::Auto,
    )
    .schedule(10, &tiny)
    .unwrap_err();
    assert!(e.contains("30 is greater than max_resources 20"), "{e}");
    let mut both = spec(
        Resource::NSamples,
        MinResources::Exhaust,
        MaxResources::Auto,
    );
    both.n_candidates = Some(NCandidates::Exhaust);
    assert!(both
        .candidates_to_draw(&FACTS)
        .unwrap_err()
        .contains("both"));
}

#[test]
fn rounds_shrink_candidates_and_grow_resources() {
    let s = spec(
        Resource::NSamples,
        MinResources::Count(10),
        MaxResources::Auto,
    )
    .schedule(81, &FACTS)
    .unwrap();
    let r: Vec<(usize, u64)> = s
        .rounds
        .iter()
        .map(|r| (r.n_candidates, r.n_resources))
        .collect();
    assert_eq!(r, vec![(81, 10), (27, 30), (9, 90), (3, 270), (1, 810)]);
    assert_eq!(keep_count(10, 3.0), 4);
    assert_eq!(keep_count(1, 3.0), 1);
}

#[test]
fn python_float_floor_division() {
    assert_eq!(py_floordiv(1500.0, 15.625), 96.0);
    assert_eq!(py_floordiv(7.0, 2.0), 3.0);
    assert_eq!(py_floordiv(1.0, 3.0), 0.0);
    assert_eq!(
        floor_log(243.0, 3.0),
        4,
        "Python: log(243, 3) = 4.999999999999999"
    );
    assert_eq!(floor_log(27.0, 3.0), 3);
}
