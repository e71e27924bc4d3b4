//! Array jobs for AWS Batch and Kubernetes, one container per shard.
//!
//! Both run the same command, `gridrun run CONFIG --shards N --output OUT
//! --jobs CPUS`, and each container finds its own shard in the variable its
//! scheduler sets (`AWS_BATCH_JOB_ARRAY_INDEX`, `JOB_COMPLETION_INDEX`; see
//! [`crate::batch::shard::shard_from_env`]). OUT must be storage that all
//! containers share (EFS, a ReadWriteMany volume, ...), which the user adds:
//! `gridrun merge OUT` needs every shard's journal.
//!
//! Schemas checked against the published references (looked up, not from
//! memory):
//! - AWS Batch RegisterJobDefinition: `jobDefinitionName` (up to 128 letters,
//!   digits, `-`, `_`) and `type` are required; `type: container` needs
//!   `containerProperties`. ResourceRequirement: `type` is `GPU | VCPU |
//!   MEMORY`, `value` a string, MEMORY in MiB, at least 4.
//!   (paws.compute `batch_register_job_definition`; AWS Batch API Reference,
//!   ResourceRequirement.)
//! - AWS Batch SubmitJob: `jobName` (up to 128, first character
//!   alphanumeric), `jobQueue` and `jobDefinition` are required;
//!   `arrayProperties.size` is 2 to 10,000. (paws.compute `batch_submit_job`;
//!   AWS Batch User Guide, "Submit an array job"; ArrayProperties.)
//! - Kubernetes batch/v1 Job: `completionMode: Indexed` needs `completions`,
//!   and `parallelism` at most 10^5 (JobSpec.completionMode); pods get
//!   `JOB_COMPLETION_INDEX` (kubernetes.io, "Indexed Job for Parallel
//!   Processing with Static Work Assignment"); the pod template's
//!   `restartPolicy` must be `Never` or `OnFailure`; the Job name must be at
//!   most 63 characters, best a DNS label (kubernetes.io, "Jobs"); each
//!   container needs a `name`, a DNS label (core/v1 Container.name).

use serde_json::{json, Value};

/// What the exported jobs run, and with which resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Array size: one container per shard.
    pub shards: usize,
    /// Kubernetes `metadata.name`; AWS `jobName` and `jobDefinitionName`.
    pub job_name: String,
    /// Container image holding gridrun.
    pub image: String,
    /// gridrun inside the image, e.g. `gridrun` or `/usr/local/bin/gridrun`.
    pub gridrun_exe: String,
    /// Config path inside the container.
    pub config: String,
    /// Output folder inside the container, on shared storage.
    pub output: String,
    /// CPUs per container; also `gridrun --jobs`, since a container may see
    /// all of the host's cores.
    pub cpus: u32,
    /// Memory per container in MiB.
    pub memory_mib: u64,
    /// AWS Batch job queue (SubmitJob requires one).
    pub job_queue: String,
    /// Kubernetes pods at once; `None` runs all shards at once.
    pub parallelism: Option<usize>,
    /// Failures retried: Kubernetes `backoffLimit`; AWS `retryStrategy.attempts`
    /// is this plus one.
    pub retries: u32,
    /// More `gridrun run` arguments.
    pub extra_args: Vec<String>,
}

/// Options that a scheduler would reject, found before anything is submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(String);

fn fail(message: String) -> Result<(), ExportError> {
    Err(ExportError(message))
}

/// The container command: every shard runs the same one.
pub fn gridrun_command(opts: &ExportOptions) -> Vec<String> {
    let mut command = vec![
        opts.gridrun_exe.clone(),
        "run".into(),
        opts.config.clone(),
        "--shards".into(),
        opts.shards.to_string(),
        "--output".into(),
        opts.output.clone(),
        "--jobs".into(),
        opts.cpus.to_string(),
    ];
    command.extend(opts.extra_args.iter().cloned());
    command
}

fn check_common(opts: &ExportOptions) -> Result<(), ExportError> {
    if opts.shards == 0 {
        return fail("--shards 0: shard count must be at least 1".into());
    }
    if opts.cpus == 0 {
        return fail("cpus 0: a container needs at least 1 CPU".into());
    }
    for (what, value) in [
        ("image", &opts.image),
        ("gridrun executable", &opts.gridrun_exe),
    ] {
        if value.trim().is_empty() {
            return fail(format!("the {what} is empty"));
        }
    }
    for (what, value) in [("config", &opts.config), ("output", &opts.output)] {
        if value.trim().is_empty() {
            return fail(format!("the {what} path is empty"));
        }
    }
    Ok(())
}

/// Checks `opts` against AWS Batch's limits (see the module docs).
pub fn check_aws(opts: &ExportOptions) -> Result<(), ExportError> {
    check_common(opts)?;
    let name = &opts.job_name;
    let name_ok = (1..=128).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return fail(format!(
            "job name {name:?}: AWS Batch takes 1 to 128 letters, digits, '-' and '_', starting with a letter or digit"
        ));
    }
    if opts.shards > 10_000 {
        return fail(format!(
            "--shards {}: AWS Batch array jobs have at most 10000 tasks",
            opts.shards
        ));
    }
    if opts.job_queue.trim().is_empty() {
        return fail("AWS Batch needs a job queue".into());
    }
    if opts.memory_mib < 4 {
        return fail(format!(
            "memory {} MiB: AWS Batch needs at least 4 MiB",
            opts.memory_mib
        ));
    }
    if opts.retries > 9 {
        return fail(format!(
            "retries {}: AWS Batch allows at most 10 attempts",
            opts.retries
        ));
    }
    Ok(())
}

/// Checks `opts` against Kubernetes' rules (see the module docs).
pub fn check_k8s(opts: &ExportOptions) -> Result<(), ExportError> {
    check_common(opts)?;
    let name = &opts.job_name;
    let is_label_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    let name_ok = (1..=63).contains(&name.len())
        && name.chars().all(is_label_char)
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !name_ok {
        return fail(format!(
            "job name {name:?}: Kubernetes takes 1 to 63 lowercase letters, digits and '-', \
             starting and ending with a letter or digit"
        ));
    }
    if opts.memory_mib == 0 {
        return fail("memory 0 MiB: give the container some memory".into());
    }
    if parallelism(opts) > 100_000 {
        return fail(format!(
            "parallelism {}: Indexed Jobs allow at most 100000",
            parallelism(opts)
        ));
    }
    Ok(())
}

fn parallelism(opts: &ExportOptions) -> usize {
    opts.parallelism
        .unwrap_or(opts.shards)
        .clamp(1, opts.shards.max(1))
}

/// An AWS Batch job definition and the array job to submit with it:
/// `{"registerJobDefinition": {...}, "submitJob": {...}}`, each usable as
/// `aws batch register-job-definition --cli-input-json` and
/// `aws batch submit-job --cli-input-json` input. With one shard the job is
/// a plain job (arrays need 2 to 10000 tasks), and gridrun runs everything.
/// Call [`check_aws`] first: this writes the options as given.
pub fn aws_batch_job(opts: &ExportOptions) -> Value {
    let register = json!({
        "jobDefinitionName": opts.job_name,
        "type": "container",
        "containerProperties": {
            "image": opts.image,
            "command": gridrun_command(opts),
            "resourceRequirements": [
                {"type": "VCPU", "value": opts.cpus.to_string()},
                {"type": "MEMORY", "value": opts.memory_mib.to_string()},
            ],
        },
        "retryStrategy": {"attempts": opts.retries + 1},
    });
    let mut submit = json!({
        "jobName": opts.job_name,
        "jobQueue": opts.job_queue,
        "jobDefinition": opts.job_name,
    });
    if opts.shards >= 2 {
        submit["arrayProperties"] = json!({"size": opts.shards});
    }
    json!({"registerJobDefinition": register, "submitJob": submit})
}

/// A Kubernetes Indexed Job (batch/v1) as YAML, for `kubectl apply -f`.
/// Pod `i` runs shard `i/N`, with `restartPolicy: Never` so a failed shard
/// is retried in a fresh pod (up to `backoffLimit` failures in all).
/// Call [`check_k8s`] first: this writes the options as given.
pub fn k8s_indexed_job(opts: &ExportOptions) -> String {
    let q = |s: &str| yaml_quote(s);
    let resources = format!(
        "cpu: {}\n  memory: {}",
        q(&opts.cpus.to_string()),
        q(&format!("{}Mi", opts.memory_mib))
    );
    let command: String = gridrun_command(opts)
        .iter()
        .map(|word| format!("            - {}\n", q(word)))
        .collect();
    format!(
        "# Written by gridrun: one pod per shard; each reads JOB_COMPLETION_INDEX.\n\
         apiVersion: batch/v1\n\
         kind: Job\n\
         metadata:\n\
         \x20 name: {name}\n\
         \x20 labels:\n\
         \x20   app.kubernetes.io/name: gridrun\n\
         spec:\n\
         \x20 completionMode: Indexed\n\
         \x20 completions: {completions}\n\
         \x20 parallelism: {parallelism}\n\
         \x20 backoffLimit: {backoff}\n\
         \x20 template:\n\
         \x20   metadata:\n\
         \x20     labels:\n\
         \x20       app.kubernetes.io/name: gridrun\n\
         \x20   spec:\n\
         \x20     restartPolicy: Never\n\
         \x20     containers:\n\
         \x20       - name: gridrun\n\
         \x20         image: {image}\n\
         \x20         command:\n\
         {command}\
         \x20         resources:\n\
         \x20           requests:\n\
         {requests}\n\
         \x20           limits:\n\
         {limits}\n",
        name = q(&opts.job_name),
        completions = opts.shards,
        parallelism = parallelism(opts),
        backoff = opts.retries,
        image = q(&opts.image),
        requests = indent(&resources, 14),
        limits = indent(&resources, 14),
    )
}

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|l| format!("{pad}{}", l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A YAML double-quoted scalar that reads back as exactly `s`: `"` and `\`
/// escaped, and every character YAML would fold or reject (controls, DEL,
/// C1 controls, NEL, line/paragraph separators, BOM, non-characters)
/// written as an escape. Quoting everything also keeps `yes`, `0123` or
/// `: x` from turning into booleans, numbers or syntax.
pub fn yaml_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if yaml_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Characters safe to write as themselves inside a double-quoted scalar.
fn yaml_printable(c: char) -> bool {
    let u = c as u32;
    matches!(u, 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd | 0x1_0000..)
        && !matches!(u, 0x2028 | 0x2029 | 0xfeff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ExportOptions {
        ExportOptions {
            shards: 4,
            job_name: "gridrun-wine".into(),
            image: "ghcr.io/example/gridrun:0.1".into(),
            gridrun_exe: "gridrun".into(),
            config: "/data/wine.toml".into(),
            output: "/shared/runs/wine".into(),
            cpus: 2,
            memory_mib: 4096,
            job_queue: "gridrun-queue".into(),
            parallelism: None,
            retries: 1,
            extra_args: vec!["--backend".into(), "process".into()],
        }
    }

    #[test]
    fn command_runs_all_shards_with_scheduler_index() {
        assert_eq!(
            gridrun_command(&options()),
            [
                "gridrun",
                "run",
                "/data/wine.toml",
                "--shards",
                "4",
                "--output",
                "/shared/runs/wine",
                "--jobs",
                "2",
                "--backend",
                "process",
            ]
        );
    }

    #[test]
    fn aws_job_has_required_fields() {
        let job = aws_batch_job(&options());
        let register = &job["registerJobDefinition"];
        // RegisterJobDefinition requires jobDefinitionName and type.
        assert_eq!(register["jobDefinitionName"], "gridrun-wine");
        assert_eq!(register["type"], "container");
        let container = &register["containerProperties"];
        assert_eq!(container["image"], "ghcr.io/example/gridrun:0.1");
        assert_eq!(container["command"][4], "4");
        assert_eq!(
            container["resourceRequirements"],
            json!([{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "4096"}])
        );
        assert_eq!(register["retryStrategy"]["attempts"], 2);
        // SubmitJob requires jobName, jobQueue, jobDefinition.
        let submit = &job["submitJob"];
        assert_eq!(submit["jobName"], "gridrun-wine");
        assert_eq!(submit["jobQueue"], "gridrun-queue");
        assert_eq!(submit["jobDefinition"], register["jobDefinitionName"]);
        assert_eq!(submit["arrayProperties"]["size"], 4);
    }

    #[test]
    fn aws_single_shard_is_a_plain_job() {
        let job = aws_batch_job(&ExportOptions {
            shards: 1,
            ..options()
        });
        assert!(job["submitJob"].get("arrayProperties").is_none());
        assert!(check_aws(&ExportOptions {
            shards: 1,
            ..options()
        })
        .is_ok());
    }

    #[test]
    fn aws_checks_limits() {
        assert_eq!(check_aws(&options()), Ok(()));
        assert!(check_aws(&ExportOptions {
            shards: 10_000,
            ..options()
        })
        .is_ok());
        let bad = [
            ExportOptions {
                shards: 10_001,
                ..options()
            },
            ExportOptions {
                shards: 0,
                ..options()
            },
            ExportOptions {
                job_name: "_x".into(),
                ..options()
            },
            ExportOptions {
                job_name: "a b".into(),
                ..options()
            },
            ExportOptions {
                job_name: "x".repeat(129),
                ..options()
            },
            ExportOptions {
                job_queue: " ".into(),
                ..options()
            },
            ExportOptions {
                memory_mib: 3,
                ..options()
            },
            ExportOptions {
                cpus: 0,
                ..options()
            },
            ExportOptions {
                retries: 10,
                ..options()
            },
            ExportOptions {
                image: "".into(),
                ..options()
            },
        ];
        for opts in bad {
            assert!(check_aws(&opts).is_err(), "{opts:?}");
        }
        assert_eq!(
            check_aws(&ExportOptions {
                shards: 10_001,
                ..options()
            })
            .unwrap_err()
            .to_string(),
            "--shards 10001: AWS Batch array jobs have at most 10000 tasks"
        );
    }

    #[test]
    fn k8s_job_has_required_fields() {
        let yaml = k8s_indexed_job(&ExportOptions {
            parallelism: Some(2),
            ..options()
        });
        let expected = r#"# Written by gridrun: one pod per shard; each reads JOB_COMPLETION_INDEX.
apiVersion: batch/v1
kind: Job
metadata:
  name: "gridrun-wine"
  labels:
    app.kubernetes.io/name: gridrun
spec:
  completionMode: Indexed
  completions: 4
  parallelism: 2
  backoffLimit: 1
  template:
    metadata:
      labels:
        app.kubernetes.io/name: gridrun
    spec:
      restartPolicy: Never
      containers:
        - name: gridrun
          image: "ghcr.io/example/gridrun:0.1"
          command:
            - "gridrun"
            - "run"
            - "/data/wine.toml"
            - "--shards"
            - "4"
            - "--output"
            - "/shared/runs/wine"
            - "--jobs"
            - "2"
            - "--backend"
            - "process"
          resources:
            requests:
              cpu: "2"
              memory: "4096Mi"
            limits:
              cpu: "2"
              memory: "4096Mi"
"#;
        assert_eq!(yaml, expected);
    }

    #[test]
    fn k8s_parallelism_defaults_to_all_shards_and_is_capped() {
        let all = k8s_indexed_job(&options());
        assert!(all.contains("  completions: 4\n  parallelism: 4\n"));
        let capped = k8s_indexed_job(&ExportOptions {
            parallelism: Some(99),
            ..options()
        });
        assert!(capped.contains("  parallelism: 4\n"));
    }

    #[test]
    fn k8s_checks_names() {
        assert_eq!(check_k8s(&options()), Ok(()));
        for name in [
            "",
            "Gridrun",
            "grid_run",
            "-x",
            "x-",
            "a.b",
            &"x".repeat(64),
        ] {
            let opts = ExportOptions {
                job_name: name.to_string(),
                ..options()
            };
            assert!(check_k8s(&opts).is_err(), "{name:?}");
        }
        assert!(check_k8s(&ExportOptions {
            job_name: "x".repeat(63),
            ..options()
        })
        .is_ok());
        // Kubernetes has no 10000-task array limit.
        assert!(check_k8s(&ExportOptions {
            shards: 20_000,
            ..options()
        })
        .is_ok());
    }

    #[test]
    fn yaml_quote_escapes_what_yaml_would_misread() {
        assert_eq!(yaml_quote("plain"), "\"plain\"");
        assert_eq!(yaml_quote(""), "\"\"");
        assert_eq!(yaml_quote("say \"hi\" \\o/"), r#""say \"hi\" \\o/""#);
        assert_eq!(yaml_quote("a\nb\tc\rd"), r#""a\nb\tc\rd""#);
        assert_eq!(yaml_quote("\u{0}\u{7f}\u{85}"), r#""\x00\x7f\x85""#);
        assert_eq!(
            yaml_quote("\u{2028}\u{feff}\u{fffe}"),
            r#""\u2028\ufeff\ufffe""#
        );
        assert_eq!(yaml_quote("héllo ✓ 𝄞"), "\"héllo ✓ 𝄞\"");
        assert_eq!(
            yaml_quote("key: value # not a comment"),
            "\"key: value # not a comment\""
        );
    }
}
