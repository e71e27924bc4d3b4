//! The `[search]` table: which strategy picks the settings (grid, random,
//! halving), and the grid entries it allows (distributions only where
//! settings are drawn at random).

use super::{ConfigError, Resolver};
use crate::grid;
use crate::models::{self, ParamKind};
use crate::params::{ParamValue, Params};
use crate::strategy::halving::{
    DataFacts, HalvingSpec, MaxResources, MinResources, NCandidates, Resource,
};
use crate::strategy::random::{self, Dimension, Distribution, Domain, DrawReport};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use toml::Spanned;

/// scikit-learn's RandomizedSearchCV default.
const DEFAULT_N_ITER: usize = 10;
/// The settings are held in memory, as a grid's are.
const MAX_N_ITER: i64 = grid::MAX_SETTINGS as i64;

/// `[search]` exactly as written.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawSearch {
    method: Option<Spanned<String>>,
    n_iter: Option<Spanned<i64>>,
    seed: Option<Spanned<u64>>,
    factor: Option<Spanned<f64>>,
    resource: Option<Spanned<String>>,
    min_resources: Option<Spanned<toml::Value>>,
    max_resources: Option<Spanned<toml::Value>>,
    aggressive_elimination: Option<Spanned<bool>>,
    n_candidates: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every point of the grid (GridSearchCV).
    #[default]
    Grid,
    /// n_iter settings drawn from lists and distributions (RandomizedSearchCV).
    Random,
    /// Successive halving (HalvingGridSearchCV / HalvingRandomSearchCV).
    Halving,
}

/// How the settings are chosen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchSpec {
    pub method: Method,
    /// Random search: how many settings to draw.
    pub n_iter: Option<usize>,
    /// Seeds the draws (default: cv.seed).
    pub seed: u64,
    pub halving: Option<HalvingSpec>,
    /// Random search: how the settings were drawn.
    pub draws: Option<DrawReport>,
}

impl SearchSpec {
    /// Whether grid entries may be distributions.
    fn draws_at_random(&self) -> bool {
        self.method == Method::Random
            || self
                .halving
                .as_ref()
                .is_some_and(|h| h.n_candidates.is_some())
    }

    fn halving_resource(&self) -> Option<&str> {
        match self.halving.as_ref().map(|h| &h.resource) {
            Some(Resource::Param(name)) => Some(name),
            _ => None,
        }
    }
}

/// The parsed `[search]` and where its method was written (for the error
/// a method that cannot run yet gets once the rest is checked).
pub(super) struct ParsedSearch {
    pub spec: SearchSpec,
    method_span: Range<usize>,
}

impl Resolver<'_> {
    pub(super) fn search(
        &self,
        raw: RawSearch,
        model: &dyn models::Model,
        fixed: &Params,
        cv_seed: u64,
    ) -> Result<ParsedSearch, ConfigError> {
        let (method, method_span) = self.method(&raw.method)?;
        let n_iter = self.n_iter(&raw, method)?;
        if let (Method::Grid, Some(seed)) = (method, &raw.seed) {
            return Err(self.loc.at(
                seed.span(),
                "search.seed",
                "grid search draws nothing at random: set method = \"random\" or \"halving\" (cv.seed seeds the folds)",
            ));
        }
        let halving = if method == Method::Halving {
            Some(self.halving(&raw, model, fixed)?)
        } else {
            self.refuse_halving_keys(&raw)?;
            None
        };
        Ok(ParsedSearch {
            spec: SearchSpec {
                method,
                n_iter,
                seed: raw.seed.map_or(cv_seed, Spanned::into_inner),
                halving,
                draws: None,
            },
            method_span,
        })
    }

    fn method(&self, raw: &Option<Spanned<String>>) -> Result<(Method, Range<usize>), ConfigError> {
        let Some(m) = raw else {
            return Ok((Method::Grid, 0..0));
        };
        let method = match m.get_ref().as_str() {
            "grid" => Method::Grid,
            "random" => Method::Random,
            "halving" => Method::Halving,
            other => {
                return Err(self.loc.at(
                    m.span(),
                    "search.method",
                    format!("unknown method `{other}` (grid, random, halving)"),
                ))
            }
        };
        Ok((method, m.span()))
    }

    fn n_iter(&self, raw: &RawSearch, method: Method) -> Result<Option<usize>, ConfigError> {
        match (&raw.n_iter, method) {
            (None, Method::Random) => Ok(Some(DEFAULT_N_ITER)),
            (None, _) => Ok(None),
            (Some(n), Method::Random) if (1..=MAX_N_ITER).contains(n.get_ref()) => {
                Ok(Some(*n.get_ref() as usize))
            }
            (Some(n), Method::Random) => Err(self.loc.at(
                n.span(),
                "search.n_iter",
                format!("must be from 1 to {MAX_N_ITER}, got {}", n.get_ref()),
            )),
            (Some(n), _) => Err(self.loc.at(
                n.span(),
                "search.n_iter",
                "only random search draws n_iter settings: set method = \"random\" (halving draws n_candidates)",
            )),
        }
    }

    fn refuse_halving_keys(&self, raw: &RawSearch) -> Result<(), ConfigError> {
        let spans = [
            ("factor", raw.factor.as_ref().map(Spanned::span)),
            ("resource", raw.resource.as_ref().map(Spanned::span)),
            (
                "min_resources",
                raw.min_resources.as_ref().map(Spanned::span),
            ),
            (
                "max_resources",
                raw.max_resources.as_ref().map(Spanned::span),
            ),
            (
                "aggressive_elimination",
                raw.aggressive_elimination.as_ref().map(Spanned::span),
            ),
            ("n_candidates", raw.n_candidates.as_ref().map(Spanned::span)),
        ];
        match spans.into_iter().find_map(|(k, s)| s.map(|s| (k, s))) {
            None => Ok(()),
            Some((key, span)) => Err(self.loc.at(
                span,
                &format!("search.{key}"),
                "only successive halving takes it: set method = \"halving\"",
            )),
        }
    }

    fn halving(
        &self,
        raw: &RawSearch,
        model: &dyn models::Model,
        fixed: &Params,
    ) -> Result<HalvingSpec, ConfigError> {
        let factor = match &raw.factor {
            None => 3.0,
            Some(f) if f.get_ref().is_finite() && *f.get_ref() > 1.0 => *f.get_ref(),
            Some(f) => {
                return Err(self.loc.at(
                    f.span(),
                    "search.factor",
                    format!(
                        "must be more than 1 (each round keeps 1/factor of the candidates), got {}",
                        f.get_ref()
                    ),
                ))
            }
        };
        let resource = self.resource(&raw.resource, model, fixed)?;
        let n_candidates = self.n_candidates(&raw.n_candidates)?;
        let min_resources = self.min_resources(raw, n_candidates.is_some())?;
        let max_resources = self.max_resources(raw, &resource)?;
        if let (MinResources::Count(min), MaxResources::Count(max), Some(span)) = (
            min_resources,
            max_resources,
            raw.min_resources.as_ref().map(Spanned::span),
        ) {
            if min > max {
                return Err(self.loc.at(
                    span,
                    "search.min_resources",
                    format!("{min} is greater than max_resources {max}"),
                ));
            }
        }
        if let Resource::Param(name) = &resource {
            self.check_resource_values(raw, model, name, min_resources, max_resources)?;
        }
        Ok(HalvingSpec {
            factor,
            resource,
            min_resources,
            max_resources,
            aggressive_elimination: raw
                .aggressive_elimination
                .as_ref()
                .is_some_and(|a| *a.get_ref()),
            n_candidates,
        })
    }

    /// "n_samples" or an integer hyperparameter the model has.
    fn resource(
        &self,
        raw: &Option<Spanned<String>>,
        model: &dyn models::Model,
        fixed: &Params,
    ) -> Result<Resource, ConfigError> {
        let Some(r) = raw else {
            return Ok(Resource::NSamples);
        };
        let name = r.get_ref();
        if name == "n_samples" {
            return Ok(Resource::NSamples);
        }
        let integer =
            |kind: &ParamKind| matches!(kind, ParamKind::Int { .. } | ParamKind::IntOrNone { .. });
        let is_integer_param = model
            .params()
            .iter()
            .any(|s| s.name == name && integer(&s.kind));
        if !is_integer_param {
            let candidates: Vec<&str> = model
                .params()
                .iter()
                .filter(|s| integer(&s.kind))
                .map(|s| s.name)
                .collect();
            return Err(self.loc.at(
                r.span(),
                "search.resource",
                format!(
                    "`{name}` is not an integer hyperparameter of {} (n_samples, {})",
                    model.name(),
                    candidates.join(", ")
                ),
            ));
        }
        if fixed.contains_key(name) {
            return Err(self.loc.at(
                r.span(),
                "search.resource",
                format!("`{name}` is set in [model] too: halving sets the resource each round"),
            ));
        }
        Ok(Resource::Param(name.clone()))
    }

    fn n_candidates(
        &self,
        raw: &Option<Spanned<toml::Value>>,
    ) -> Result<Option<NCandidates>, ConfigError> {
        let Some(v) = raw else { return Ok(None) };
        match v.get_ref() {
            toml::Value::String(s) if s == "exhaust" => Ok(Some(NCandidates::Exhaust)),
            toml::Value::Integer(n) if *n >= 1 => Ok(Some(NCandidates::Count(*n as usize))),
            _ => Err(self.loc.at(
                v.span(),
                "search.n_candidates",
                "must be \"exhaust\" or an integer >= 1 (candidates drawn at random)",
            )),
        }
    }

    fn min_resources(&self, raw: &RawSearch, random: bool) -> Result<MinResources, ConfigError> {
        let Some(v) = &raw.min_resources else {
            // scikit-learn's defaults: the grid exhausts, random starts small.
            return Ok(if random {
                MinResources::Smallest
            } else {
                MinResources::Exhaust
            });
        };
        let min = match v.get_ref() {
            toml::Value::String(s) if s == "exhaust" => MinResources::Exhaust,
            toml::Value::String(s) if s == "smallest" => MinResources::Smallest,
            toml::Value::Integer(n) if *n >= 1 => MinResources::Count(*n as u64),
            _ => {
                return Err(self.loc.at(
                    v.span(),
                    "search.min_resources",
                    "must be \"exhaust\", \"smallest\" or an integer >= 1",
                ))
            }
        };
        if let (MinResources::Exhaust, Some(NCandidates::Exhaust)) =
            (min, self.n_candidates(&raw.n_candidates)?)
        {
            return Err(self.loc.at(
                v.span(),
                "search.min_resources",
                "n_candidates and min_resources cannot both be \"exhaust\"",
            ));
        }
        Ok(min)
    }

    fn max_resources(
        &self,
        raw: &RawSearch,
        resource: &Resource,
    ) -> Result<MaxResources, ConfigError> {
        let max = match raw.max_resources.as_ref().map(|v| (v, v.get_ref())) {
            None => MaxResources::Auto,
            Some((_, toml::Value::String(s))) if s == "auto" => MaxResources::Auto,
            Some((_, toml::Value::Integer(n))) if *n >= 1 => MaxResources::Count(*n as u64),
            Some((v, _)) => {
                return Err(self.loc.at(
                    v.span(),
                    "search.max_resources",
                    "must be \"auto\" (every row) or an integer >= 1",
                ))
            }
        };
        match (max, resource, &raw.resource) {
            (MaxResources::Auto, Resource::Param(name), Some(r)) => Err(self.loc.at(
                r.span(),
                "search.max_resources",
                format!("is required with resource = \"{name}\" (\"auto\", every row, is for n_samples)"),
            )),
            _ => Ok(max),
        }
    }

    /// The resource's first and last values must be valid for the model.
    fn check_resource_values(
        &self,
        raw: &RawSearch,
        model: &dyn models::Model,
        name: &str,
        min: MinResources,
        max: MaxResources,
    ) -> Result<(), ConfigError> {
        let checks = [
            (min_count(min), &raw.min_resources, "search.min_resources"),
            (max_count(max), &raw.max_resources, "search.max_resources"),
        ];
        for (count, spanned, key) in checks {
            let (Some(count), Some(spanned)) = (count, spanned) else {
                continue;
            };
            let mut one = Params::new();
            one.insert(name.to_string(), ParamValue::Int(count as i64));
            models::validate(model, &one)
                .map_err(|(_, m)| self.loc.at(spanned.span(), key, format!("{name}: {m}")))?;
        }
        Ok(())
    }

    /// One grid entry: a list (or range), or a distribution where settings
    /// are drawn at random; its values checked against the model.
    pub(super) fn domain(
        &self,
        key: &Spanned<String>,
        value: &Spanned<toml::Value>,
        model: &dyn models::Model,
        search: &ParsedSearch,
    ) -> Result<Domain, ConfigError> {
        let dotted = format!("grid.{}", key.get_ref());
        if search.spec.halving_resource() == Some(key.get_ref().as_str()) {
            return Err(self.loc.at(
                key.span(),
                &dotted,
                "is the halving resource ([search] resource): each round sets it, so it cannot be in the grid",
            ));
        }
        let at_value = |m: String| self.loc.at(value.span(), &dotted, m);
        let domain = match Distribution::parse(value.get_ref()) {
            None => Domain::List(grid::axis_values(value.get_ref()).map_err(at_value)?),
            Some(Err(m)) => return Err(at_value(m)),
            Some(Ok(_)) if !search.spec.draws_at_random() => {
                return Err(at_value(
                    "a distribution is for random search: set [search] method = \"random\", or list the values".into(),
                ))
            }
            Some(Ok(dist)) => Domain::Dist(dist),
        };
        let values = match &domain {
            Domain::List(values) => values.clone(),
            Domain::Dist(dist) => dist.bounds().to_vec(),
        };
        for v in values {
            let mut one = Params::new();
            one.insert(key.get_ref().clone(), v);
            // `preprocess.*` keys are checked as preprocessing steps.
            crate::preprocess::validate(model, &one).map_err(|(_, m)| at_value(m))?;
        }
        Ok(domain)
    }

    /// The settings the strategy evaluates: the grid's points, or the draws.
    pub(super) fn settings(
        &self,
        search: ParsedSearch,
        space: &[Vec<Dimension>],
    ) -> Result<(Vec<Params>, SearchSpec), ConfigError> {
        let mut spec = search.spec;
        match spec.method {
            Method::Grid => {
                let axes = random::as_axes(space).expect("distributions refused in a grid search");
                Ok((grid::expand(&axes), spec))
            }
            Method::Random => {
                let n_iter = spec.n_iter.unwrap_or(DEFAULT_N_ITER);
                let draws = random::sample(space, n_iter, spec.seed);
                spec.draws = Some(draws.report);
                Ok((draws.settings, spec))
            }
            Method::Halving => {
                let halving = spec.halving.as_ref().expect("parsed with the method");
                let Some(wanted) = halving.n_candidates else {
                    let axes = random::as_axes(space).expect("distributions need n_candidates");
                    return Ok((grid::expand(&axes), spec));
                };
                let count = match wanted {
                    NCandidates::Count(n) => n,
                    NCandidates::Exhaust => {
                        self.exhaust_candidates(halving, &search.method_span)?
                    }
                };
                let draws = random::sample(space, count, spec.seed);
                spec.draws = Some(draws.report);
                Ok((draws.settings, spec))
            }
        }
    }
}

impl Resolver<'_> {
    /// HalvingRandomSearchCV's n_candidates = "exhaust": max // min
    /// resources, known here unless they depend on the data.
    fn exhaust_candidates(
        &self,
        halving: &HalvingSpec,
        method_span: &Range<usize>,
    ) -> Result<usize, ConfigError> {
        let needs_data = halving.resource == Resource::NSamples
            && (min_count(halving.min_resources).is_none()
                || max_count(halving.max_resources).is_none());
        let refuse = |why: String| self.loc.at(method_span.clone(), "search.n_candidates", why);
        if needs_data {
            return Err(refuse("n_candidates = \"exhaust\" with resource = \"n_samples\" needs min_resources and max_resources as numbers (the config is read before the data)".into()));
        }
        let facts = DataFacts {
            n_samples: 0,
            n_splits: 1,
            n_classes: None,
        };
        halving
            .candidates_to_draw(&facts)
            .map(|n| n.unwrap_or(0))
            .map_err(refuse)
    }
}

fn min_count(min: MinResources) -> Option<u64> {
    match min {
        MinResources::Count(n) => Some(n),
        _ => None,
    }
}

fn max_count(max: MaxResources) -> Option<u64> {
    match max {
        MaxResources::Count(n) => Some(n),
        MaxResources::Auto => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;
    use std::path::Path;

    const BASE: &str = "[dataset]\npath = \"d.csv\"\n[model]\nkind = \"decision_tree\"\n";

    fn parse(extra: &str) -> Result<Config, String> {
        Config::parse(Path::new("c.toml"), &format!("{BASE}{extra}")).map_err(|e| e.to_string())
    }

    #[test]
    fn grid_is_the_default_and_unchanged() {
        let c = parse("[grid]\nmax_depth = [2, 4]\n").unwrap();
        assert_eq!(c.search.method, Method::Grid);
        assert_eq!(c.settings.len(), 2);
        assert!(c.search.draws.is_none());
    }

    #[test]
    fn random_draws_n_iter_settings_seeded_by_cv_seed_by_default() {
        let src = "[search]\nmethod = \"random\"\nn_iter = 5\n[grid]\nmax_depth = { int = [2, 32] }\nmax_features = { float = [0.1, 1.0] }\n[cv]\nseed = 9\n";
        let c = parse(src).unwrap();
        assert_eq!(c.settings.len(), 5);
        assert_eq!(c.search.seed, 9);
        assert_eq!(c.grid_keys, vec!["max_depth", "max_features"]);
        for s in &c.settings {
            let depth = s["max_depth"].as_f64().unwrap();
            let features = s["max_features"].as_f64().unwrap();
            assert!((2.0..=32.0).contains(&depth) && (0.1..=1.0).contains(&features));
        }
        let explicit = parse(&src.replace("n_iter = 5\n", "n_iter = 5\nseed = 9\n")).unwrap();
        assert_eq!(explicit.settings, c.settings, "seed 9 either way");
        let other = parse(&src.replace("n_iter = 5\n", "n_iter = 5\nseed = 10\n")).unwrap();
        assert_ne!(other.settings, c.settings);
        let default =
            parse("[search]\nmethod = \"random\"\n[grid]\nmax_depth = { int = [2, 32] }\n")
                .unwrap();
        assert_eq!(default.search.n_iter, Some(10), "scikit-learn's default");
    }

    #[test]
    fn search_key_errors_name_the_key() {
        let e = parse("[search]\nseed = 3\n").unwrap_err();
        assert!(
            e.starts_with("c.toml:6:8: search.seed: grid search draws nothing"),
            "{e}"
        );
        let e = parse("[search]\nmethod = \"random\"\nfactor = 3\n").unwrap_err();
        assert!(
            e.contains("search.factor: only successive halving takes it"),
            "{e}"
        );
        let e = parse("[search]\nmethod = \"random\"\nn_iter = -2\n").unwrap_err();
        assert!(
            e.contains("search.n_iter: must be from 1 to 1000000, got -2"),
            "{e}"
        );
        let e = parse("[search]\nmethod = \"random\"\nn_iter = 1000000000000\n").unwrap_err();
        assert!(e.contains("got 1000000000000"), "{e}");
        let e = parse("[search]\nmethods = \"random\"\n").unwrap_err();
        assert!(e.contains("unknown field `methods`"), "{e}");
    }

    #[test]
    fn halving_keys_are_checked() {
        let halving = "[search]\nmethod = \"halving\"\n";
        let e = parse(&format!("{halving}factor = 0.5\n")).unwrap_err();
        assert!(e.contains("search.factor: must be more than 1"), "{e}");
        let e = parse(&format!("{halving}resource = \"max_depth\"\n")).unwrap_err();
        assert!(
            e.contains("search.max_resources: is required with resource = \"max_depth\""),
            "{e}"
        );
        let e = parse(&format!(
            "{halving}min_resources = 50\nmax_resources = 20\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("search.min_resources: 50 is greater than max_resources 20"),
            "{e}"
        );
        let e = parse(&format!(
            "{halving}n_candidates = \"exhaust\"\nmin_resources = \"exhaust\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("cannot both be \"exhaust\""), "{e}");
        let e = parse(&format!("{halving}min_resources = \"most\"\n")).unwrap_err();
        assert!(
            e.contains("search.min_resources: must be \"exhaust\", \"smallest\""),
            "{e}"
        );
        let e = Config::parse(
            Path::new("c.toml"),
            &format!(
                "{BASE}max_depth = 4\n{halving}resource = \"max_depth\"\nmax_resources = 30\n"
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`max_depth` is set in [model] too"), "{e}");
        let e = parse(&format!(
            "{halving}resource = \"max_depth\"\nmax_resources = 30\nmin_resources = 0\n"
        ))
        .unwrap_err();
        assert!(e.contains("search.min_resources: must be"), "{e}");
        // Distributions need random candidates (n_candidates).
        let e = parse(&format!(
            "{halving}[grid]\nmax_depth = {{ int = [2, 9] }}\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("grid.max_depth: a distribution is for random search"),
            "{e}"
        );
        let c = parse(&format!(
            "{halving}n_candidates = 20\n[grid]\nmax_depth = {{ int = [2, 9] }}\n"
        ))
        .unwrap();
        assert_eq!(c.settings.len(), 20);
        let e = parse(&format!("{halving}n_candidates = \"exhaust\"\n")).unwrap_err();
        assert!(
            e.starts_with("c.toml:6:10: search.n_candidates: n_candidates = \"exhaust\" with resource = \"n_samples\" needs min_resources and max_resources as numbers"),
            "{e}"
        );
    }

    #[test]
    fn halving_spec_reads_scikit_learn_defaults() {
        let raw: RawSearch = toml::from_str("method = \"halving\"").unwrap();
        let model = models::find("random_forest").unwrap();
        let loc = super::super::Locator::new(Path::new("c.toml"), "");
        let resolver = Resolver {
            loc: &loc,
            base: Path::new("."),
        };
        let spec = resolver.halving(&raw, model, &Params::new()).unwrap();
        assert_eq!(
            spec,
            HalvingSpec {
                factor: 3.0,
                resource: Resource::NSamples,
                min_resources: MinResources::Exhaust,
                max_resources: MaxResources::Auto,
                aggressive_elimination: false,
                n_candidates: None,
            }
        );
        let raw: RawSearch = toml::from_str(
            "method = \"halving\"\nresource = \"n_estimators\"\nmax_resources = 300\nn_candidates = 30\nfactor = 2.5\naggressive_elimination = true",
        )
        .unwrap();
        let spec = resolver.halving(&raw, model, &Params::new()).unwrap();
        assert_eq!(spec.resource, Resource::Param("n_estimators".into()));
        assert_eq!(
            spec.min_resources,
            MinResources::Smallest,
            "random candidates start small"
        );
        assert_eq!(spec.max_resources, MaxResources::Count(300));
        assert_eq!(spec.n_candidates, Some(NCandidates::Count(30)));
        assert_eq!(spec.factor, 2.5);
        assert!(spec.aggressive_elimination);
    }
}
