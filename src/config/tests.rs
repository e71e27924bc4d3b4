use super::*;
use crate::params::ParamValue;

fn parse(src: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("configs/x.toml"), src)
}

const BASE: &str =
    "[dataset]\npath = \"../datasets/wine.csv\"\n[model]\nkind = \"linfa_decision_tree\"\n";

#[test]
fn full_example_parses() {
    let src = r#"
name = "tree-wine"
[dataset]
path = "../datasets/wine.csv"
target = "class"
[model]
kind = "linfa_decision_tree"
[grid]
max_depth = [2, 4, 8, "none"]
criterion = ["gini", "entropy"]
min_samples_leaf = { range = [1, 9], step = 4 }
[cv]
kind = "stratified_kfold"
folds = 5
shuffle = true
seed = 42
[scoring]
metrics = ["accuracy", "f1_macro"]
[run]
jobs = 0
backend = "process"
output = "../runs/tree-wine"
"#;
    let c = parse(src).unwrap();
    assert_eq!(c.settings.len(), 16);
    assert_eq!(
        c.grid_keys,
        vec!["criterion", "max_depth", "min_samples_leaf"]
    );
    assert_eq!(
        c.dataset.as_ref().unwrap().path,
        Path::new("datasets/wine.csv")
    );
    assert_eq!(
        c.dataset.as_ref().unwrap().target,
        TargetColumn::Name("class".into())
    );
    assert_eq!(c.refit, "accuracy");
    assert_eq!(c.run.output, Path::new("runs/tree-wine"));
    assert_eq!(c.cv.seed, 42);
}

#[test]
fn defaults() {
    let c = parse(BASE).unwrap();
    assert_eq!(c.cv.kind, CvKind::StratifiedKfold);
    assert_eq!(c.cv.folds, 5);
    assert_eq!(c.metrics, vec!["accuracy"]);
    assert_eq!(c.settings.len(), 1);
    assert_eq!(c.run.backend, Backend::Process);
    assert_eq!(c.dataset.as_ref().unwrap().target, TargetColumn::Last);
}

#[test]
fn subgrids() {
    let src = format!("{BASE}[[grid]]\ncriterion = [\"gini\"]\nmax_depth = [2, 3]\n[[grid]]\ncriterion = [\"entropy\"]\n");
    let c = parse(&src).unwrap();
    assert_eq!(c.settings.len(), 3);
}

fn err(src: &str) -> String {
    parse(src).unwrap_err().to_string()
}

#[test]
fn unknown_top_level_key_names_line() {
    let e = err(&format!("{BASE}[cvv]\nfolds = 3\n"));
    assert!(e.starts_with("configs/x.toml:5:"), "{e}");
    assert!(e.contains("unknown field `cvv`"), "{e}");
}

#[test]
fn unknown_hyperparameter_names_key_and_line() {
    let e = err(&format!("{BASE}[grid]\nmax_dept = [2]\n"));
    assert!(
        e.starts_with(
            "configs/x.toml:6:12: grid.max_dept: unknown hyperparameter for linfa_decision_tree"
        ),
        "{e}"
    );
}

#[test]
fn out_of_range_value_names_key() {
    let e = err(&format!("{BASE}[grid]\nmin_samples_leaf = [1, 0]\n"));
    assert_eq!(
        e,
        "configs/x.toml:6:20: grid.min_samples_leaf: 0 is out of range: must be >= 1"
    );
    let e = err(&format!("{BASE}[grid]\ncriterion = [\"gini\", \"gimi\"]\n"));
    assert!(
        e.contains("grid.criterion: `gimi` is not one of gini, entropy"),
        "{e}"
    );
}

#[test]
fn cv_and_scoring_errors() {
    assert!(err(&format!("{BASE}[cv]\nfolds = 1\n")).contains("cv.folds: must be from 2 to 100000"));
    let huge = format!("{BASE}[grid]\nmin_samples_leaf = {{ range = [1, 100000] }}\nmin_samples_split = {{ range = [2, 100000] }}\n");
    assert!(
        err(&huge).contains("grid: more than 1000000 settings in one grid table"),
        "{}",
        err(&huge)
    );
    assert!(err(&format!("{BASE}[cv]\nkind = \"loo\"\n")).contains("unknown variant `loo`"));
    assert!(err(&format!("{BASE}[cv]\nrepeats = 3\n")).contains("cv.repeats"));
    assert!(err(&format!("{BASE}[scoring]\nmetrics = [\"acc\"]\n"))
        .contains("scoring.metrics: unknown metric `acc`"));
    assert!(err(&format!(
        "{BASE}[scoring]\nmetrics = [\"accuracy\"]\nrefit = \"f1_macro\"\n"
    ))
    .contains("scoring.refit"));
    assert!(err(&format!("{BASE}[run]\nbackend = \"gpu\"\n")).contains("unknown variant `gpu`"));
}

#[test]
fn model_errors() {
    let e = err("[dataset]\npath = \"d.csv\"\n[model]\nkind = \"svm\"\n");
    assert!(
        e.starts_with("configs/x.toml:4:8: model.kind: unknown model `svm`"),
        "{e}"
    );
    let e = err("[dataset]\npath = \"d.csv\"\n[model]\nmax_depth = 3\n");
    assert!(e.contains("model: `kind` is required"), "{e}");
    let e = err(&format!("{BASE}max_depth = 3\n[grid]\nmax_depth = [2]\n"));
    assert!(e.contains("grid.max_depth: is set in [model] too"), "{e}");
}

#[test]
fn fixed_params_join_every_setting() {
    let c = parse(&format!(
        "{BASE}criterion = \"entropy\"\n[grid]\nmax_depth = [2, 3]\n"
    ))
    .unwrap();
    let full = c.full_params(&c.settings[0]);
    assert_eq!(full["criterion"], ParamValue::Str("entropy".into()));
    assert_eq!(full["max_depth"], ParamValue::Int(2));
}

#[test]
fn syntax_error_is_one_line_with_position() {
    let e = err("[dataset\npath = 1\n");
    assert!(e.starts_with("configs/x.toml:1:"), "{e}");
    assert!(!e.contains('\n'), "{e}");
}
