//! Instance price tables: the dated us-east-1 table shipped with gridrun
//! (PRICES in ec2_prices_us_east_1.csv, from shared/reference), or a user's
//! own in the same CSV format (`--prices FILE`), checked line by line.

use anyhow::{anyhow, bail, Result};
use std::collections::HashSet;
use std::path::Path;

const BUILT_IN: &str = include_str!("ec2_prices_us_east_1.csv");
/// Where the built-in prices come from, for reports.
pub const BUILT_IN_SOURCE: &str = "built-in table: AWS Price List (us-east-1, Linux, on-demand) via karpenter-provider-aws, prices of 2026-07-20";
const PRICE_COLUMNS: &[&str] = &[
    "price_usd_per_hour_ondemand_linux_us_east_1",
    "price_usd_per_hour",
];
/// Optional: a per-type spot price; empty cells mean "no figure".
const SPOT_COLUMNS: &[&str] = &["spot_price_usd_per_hour_typical", "spot_usd_per_hour"];

/// One instance type.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Instance {
    pub name: String,
    pub family: String,
    pub vcpus: usize,
    /// Physical cores: a vCPU is a hyperthread where vcpus > physical_cores.
    pub physical_cores: usize,
    pub memory_gib: f64,
    pub price_per_hour: f64,
    /// A dated per-type spot figure from the table, when it has one.
    pub spot_price_per_hour: Option<f64>,
    /// `x86_64` or `arm64`: from the `arch` column, else from the name.
    pub arch: String,
    pub source_date: String,
}

impl Instance {
    pub fn hyperthreaded(&self) -> bool {
        self.vcpus > self.physical_cores
    }

    /// Burstable families (t2, t3, t4g...) throttle sustained CPU or bill
    /// surplus credits: not for CPU-bound batches.
    pub fn burstable(&self) -> bool {
        self.family.starts_with('t')
    }
}

/// The architecture of an EC2 family by AWS's naming: a `g` among the
/// letters after the generation digit marks Graviton (c7g, c7gn, m6gd, t4g;
/// not the GPU family g5).
pub fn arch_from_family(family: &str) -> &'static str {
    let suffix = family.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let letters = suffix.trim_start_matches(|c: char| c.is_ascii_digit());
    if suffix != family && letters.contains('g') {
        "arm64"
    } else {
        "x86_64"
    }
}

/// The architecture this gridrun binary was built for, in EC2's words.
pub fn build_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        other => other,
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct PriceTable {
    pub source: String,
    pub instances: Vec<Instance>,
}

impl PriceTable {
    pub fn built_in() -> PriceTable {
        parse("built-in price table", BUILT_IN)
            .map(|instances| PriceTable {
                source: BUILT_IN_SOURCE.into(),
                instances,
            })
            .expect("the built-in price table is valid (tested)")
    }

    pub fn load(path: &Path) -> Result<PriceTable> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("{}: cannot read: {e}", path.display()))?;
        let instances = parse(&path.display().to_string(), &text)?;
        let mut table = PriceTable {
            source: path.display().to_string(),
            instances,
        };
        if !table.date().is_empty() {
            table.source = format!("{}, prices of {}", table.source, table.date());
        }
        Ok(table)
    }

    /// The newest source date in the table.
    pub fn date(&self) -> String {
        self.instances
            .iter()
            .map(|i| i.source_date.clone())
            .max()
            .unwrap_or_default()
    }
}

/// Parses the CSV, naming file, line and column in every error.
pub fn parse(file: &str, text: &str) -> Result<Vec<Instance>> {
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| anyhow!("{file}:1: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let need =
        |name: &str| column(name).ok_or_else(|| anyhow!("{file}:1: missing column `{name}`"));
    let (name_c, vcpu_c, cores_c, mem_c) = (
        need("instance_type")?,
        need("vcpus")?,
        need("physical_cores")?,
        need("memory_gib")?,
    );
    let price_c = PRICE_COLUMNS
        .iter()
        .find_map(|c| column(c))
        .ok_or_else(|| anyhow!("{file}:1: missing column `{}`", PRICE_COLUMNS[0]))?;
    let (family_c, date_c) = (column("family"), column("source_date"));
    let (arch_c, spot_c) = (column("arch"), SPOT_COLUMNS.iter().find_map(|c| column(c)));
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| anyhow!("{file}:{}: {e}", e.position().map_or(0, |p| p.line())))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |c: usize| record.get(c).unwrap_or("").trim();
        let number = |c: usize| -> Result<f64> {
            let v: f64 = field(c).parse().map_err(|_| {
                anyhow!(
                    "{file}:{line}: column `{}`: `{}` is not a number",
                    headers[c],
                    field(c)
                )
            })?;
            if !(v.is_finite() && v > 0.0) {
                bail!(
                    "{file}:{line}: column `{}`: must be more than 0, got {v}",
                    headers[c]
                );
            }
            Ok(v)
        };
        let name = field(name_c).to_string();
        if name.is_empty() {
            bail!("{file}:{line}: column `instance_type` is empty");
        }
        if !seen.insert(name.clone()) {
            bail!("{file}:{line}: instance type `{name}` appears twice");
        }
        let (vcpus, cores) = (number(vcpu_c)? as usize, number(cores_c)? as usize);
        if cores > vcpus {
            bail!("{file}:{line}: `{name}` has more physical cores ({cores}) than vCPUs ({vcpus})");
        }
        let family = family_c
            .map(field)
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| name.split('.').next().unwrap_or(""))
            .to_string();
        let arch = match arch_c.map(field).filter(|a| !a.is_empty()) {
            Some("x86_64" | "amd64") => "x86_64".to_string(),
            Some("arm64" | "aarch64") => "arm64".to_string(),
            Some(other) => bail!("{file}:{line}: column `arch`: `{other}` is not x86_64 or arm64"),
            None => arch_from_family(&family).to_string(),
        };
        let spot = match spot_c.filter(|&c| !field(c).is_empty()) {
            Some(c) => Some(number(c)?),
            None => None,
        };
        out.push(Instance {
            family,
            name,
            vcpus,
            physical_cores: cores,
            memory_gib: number(mem_c)?,
            price_per_hour: number(price_c)?,
            spot_price_per_hour: spot,
            arch,
            source_date: date_c.map(field).unwrap_or("").to_string(),
        });
    }
    if out.is_empty() {
        bail!("{file}: no instance types");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_table_loads_with_cores() {
        let t = PriceTable::built_in();
        assert_eq!(t.instances.len(), 121);
        let c7a = t
            .instances
            .iter()
            .find(|i| i.name == "c7a.2xlarge")
            .unwrap();
        assert_eq!(
            (c7a.vcpus, c7a.physical_cores, c7a.price_per_hour),
            (8, 8, 0.41056)
        );
        assert!(!c7a.hyperthreaded());
        let c6i = t
            .instances
            .iter()
            .find(|i| i.name == "c6i.2xlarge")
            .unwrap();
        assert!(c6i.hyperthreaded());
        assert_eq!(t.date(), "2026-07-20");
        let c7g = t.instances.iter().find(|i| i.name == "c7g.large").unwrap();
        assert_eq!((c7g.arch.as_str(), c6i.arch.as_str()), ("arm64", "x86_64"));
        // The reference table has no dated spot figures.
        assert!(t.instances.iter().all(|i| i.spot_price_per_hour.is_none()));
    }

    #[test]
    fn arch_from_names_and_columns() {
        for (family, arch) in [
            ("c7g", "arm64"),
            ("c7gn", "arm64"),
            ("m6gd", "arm64"),
            ("t4g", "arm64"),
            ("g5", "x86_64"),
            ("c7a", "x86_64"),
            ("m5", "x86_64"),
            ("my", "x86_64"),
        ] {
            assert_eq!(arch_from_family(family), arch, "{family}");
        }
        let head = "instance_type,vcpus,physical_cores,memory_gib,price_usd_per_hour,arch,spot_usd_per_hour\n";
        let rows = parse(
            "p.csv",
            &format!("{head}a.x,2,2,4,0.1,aarch64,0.03\nb.x,2,2,4,0.1,,\n"),
        )
        .unwrap();
        assert_eq!(
            (rows[0].arch.as_str(), rows[0].spot_price_per_hour),
            ("arm64", Some(0.03))
        );
        assert_eq!(
            (rows[1].arch.as_str(), rows[1].spot_price_per_hour),
            ("x86_64", None)
        );
        let e = parse("p.csv", &format!("{head}a.x,2,2,4,0.1,sparc,\n"))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "p.csv:2: column `arch`: `sparc` is not x86_64 or arm64");
    }

    #[test]
    fn user_tables_are_checked_with_line_and_column() {
        let head = "instance_type,vcpus,physical_cores,memory_gib,price_usd_per_hour\n";
        assert!(parse("p.csv", &format!("{head}a.x,2,1,4,0.1\n")).is_ok());
        let e = parse("p.csv", &format!("{head}a.x,2,1,4,cheap\n"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "p.csv:2: column `price_usd_per_hour`: `cheap` is not a number"
        );
        let e = parse("p.csv", &format!("{head}a.x,2,4,4,0.1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("p.csv:2: `a.x` has more physical cores (4) than vCPUs (2)"),
            "{e}"
        );
        let e = parse("p.csv", &format!("{head}a.x,2,1,4,0.1\na.x,2,1,4,0.1\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("p.csv:3: instance type `a.x` appears twice"),
            "{e}"
        );
        let e = parse("p.csv", "instance_type,vcpus,memory_gib\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "p.csv:1: missing column `physical_cores`");
        let e = parse("p.csv", &format!("{head}a.x,2,1,0,0.1\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("memory_gib`: must be more than 0"), "{e}");
    }
}
