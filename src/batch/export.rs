//! Array jobs for AWS Batch and Kubernetes that run as written: one
//! container per shard of the image `Dockerfile` builds, the output folder
//! on storage every container shares (or synced to S3 by each shard), and a
//! follow-up merge job.
//!
//! Every shard runs `gridrun run CONFIG --shards N --output OUT --jobs CPUS`
//! and finds its own index in the variable its scheduler sets
//! (`AWS_BATCH_JOB_ARRAY_INDEX`, `JOB_COMPLETION_INDEX`; see
//! [`crate::batch::shard::shard_from_env`]).
//!
//! Files written (`NAME` is the job name):
//! - AWS Batch: `NAME.register.json` (RegisterJobDefinition),
//!   `NAME.submit.json` (SubmitJob, the array) and `NAME.merge.json`
//!   (SubmitJob of the merge, given `--depends-on` at submission), each a
//!   complete `aws batch ... --cli-input-json file://...` input.
//! - Kubernetes: `NAME.job.yaml` (a ReadWriteMany PersistentVolumeClaim and
//!   the Indexed Job) and `NAME.merge.yaml` (the merge Job).
//!
//! The tests validate these against botocore's `batch` service model and the
//! official Kubernetes Python client's models (scripts/validate_exports.py).
//! Limits checked here first, with the field they come from:
//! - AWS Batch: `jobDefinitionName` / `jobName` up to 128 letters, digits,
//!   `-`, `_` (first alphanumeric); `arrayProperties.size` 2 to 10,000;
//!   `retryStrategy.attempts` 1 to 10; MEMORY in MiB, at least 4.
//! - Kubernetes: names are DNS labels of at most 63 characters; Indexed Jobs
//!   need `completions`, allow `parallelism` up to 10^5; `backoffLimitPerIndex`
//!   and `podFailurePolicy` need `restartPolicy: Never`.

use serde_json::{json, Value};

/// Where the EFS file system is mounted in AWS Batch containers.
pub const EFS_MOUNT: &str = "/mnt/efs";
/// Where the output PersistentVolumeClaim is mounted in Kubernetes pods.
pub const PVC_MOUNT: &str = "/mnt/gridrun";
/// Container-local output of a shard that syncs to S3 when it ends.
pub const S3_LOCAL: &str = "/tmp/gridrun";
/// gridrun in the image (see Dockerfile).
pub const IMAGE_GRIDRUN: &str = "/usr/local/bin/gridrun";
/// The job folder in the image: configs/ and datasets/ baked or mounted.
pub const IMAGE_JOB_DIR: &str = "/job";

/// Shared storage for the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// An EFS file system mounted at [`EFS_MOUNT`] in every container.
    Efs { file_system_id: String },
    /// Each shard writes locally and runs `aws s3 sync` to this URI when it
    /// ends (needs the image with the AWS CLI: `Dockerfile` target `aws`).
    S3 { uri: String },
    /// A ReadWriteMany PersistentVolumeClaim mounted at [`PVC_MOUNT`];
    /// `create` writes the claim too.
    Pvc {
        claim: String,
        create: bool,
        size: String,
        storage_class: Option<String>,
    },
}

/// What the exported jobs run, and with which resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Array size: one container per shard.
    pub shards: usize,
    /// Kubernetes `metadata.name`; AWS `jobName` and `jobDefinitionName`.
    pub job_name: String,
    /// Container image holding gridrun.
    pub image: String,
    /// gridrun inside the image.
    pub gridrun_exe: String,
    /// Config path inside the container.
    pub config: String,
    /// Output folder inside the container: on the shared storage, or the
    /// local folder that syncs to S3.
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
    /// Retries per shard: Kubernetes `backoffLimitPerIndex`; AWS
    /// `retryStrategy.attempts` is this plus one.
    pub retries: u32,
    /// More `gridrun run` arguments.
    pub extra_args: Vec<String>,
    pub storage: Storage,
    /// AWS Batch job role (S3 access for `--s3`), if given.
    pub job_role_arn: Option<String>,
}

/// Options that a scheduler would reject, found before anything is submitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExportError(String);

fn fail<T>(message: String) -> Result<T, ExportError> {
    Err(ExportError(message))
}

/// The `gridrun run` words every shard runs.
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

/// The container command of a shard: gridrun itself, or with S3 a shell
/// that runs it and then syncs the output up whatever it exited with (the
/// journal keeps every finished task), failing the shard if the sync fails.
pub fn shard_command(opts: &ExportOptions) -> Vec<String> {
    let run = gridrun_command(opts);
    match &opts.storage {
        Storage::S3 { uri } => sh(format!(
            "{}; status=$?; {} || exit 1; exit $status",
            join(&run),
            join(&sync(&opts.output, uri))
        )),
        _ => run,
    }
}

/// The merge container's command (S3: fetch every shard's output first,
/// push the merged files back).
pub fn merge_command(opts: &ExportOptions) -> Vec<String> {
    let merge = vec![
        opts.gridrun_exe.clone(),
        "merge".into(),
        opts.output.clone(),
    ];
    match &opts.storage {
        Storage::S3 { uri } => sh(format!(
            "{} && {}; status=$?; {} || exit 1; exit $status",
            join(&sync(uri, &opts.output)),
            join(&merge),
            join(&sync(&opts.output, uri))
        )),
        _ => merge,
    }
}

/// `aws s3 sync FROM TO` without the data cache (each shard rebuilds it).
fn sync(from: &str, to: &str) -> Vec<String> {
    [
        "aws",
        "s3",
        "sync",
        "--only-show-errors",
        from,
        to,
        "--exclude",
        "cache/*",
    ]
    .map(String::from)
    .to_vec()
}

fn sh(script: String) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), script]
}

fn join(words: &[String]) -> String {
    words
        .iter()
        .map(|w| super::slurm::shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
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
        if !value.starts_with('/') {
            return fail(format!(
                "the {what} path {value:?} must be absolute inside the container"
            ));
        }
    }
    let root = match &opts.storage {
        Storage::Efs { .. } => EFS_MOUNT,
        Storage::Pvc { .. } => PVC_MOUNT,
        Storage::S3 { .. } => "/",
    };
    if !opts.output.starts_with(root) {
        return fail(format!(
            "--output {}: must be under {root}, where the shared storage is mounted",
            opts.output
        ));
    }
    Ok(())
}

/// Checks `opts` against AWS Batch's limits (see the module docs).
pub fn check_aws(opts: &ExportOptions) -> Result<(), ExportError> {
    check_common(opts)?;
    let name = &opts.job_name;
    let name_ok = (1..=122).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return fail(format!(
            "job name {name:?}: AWS Batch takes 1 to 128 letters, digits, '-' and '_' (with \
             \"-merge\" added), starting with a letter or digit"
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
    match &opts.storage {
        Storage::Efs { file_system_id } if !is_efs_id(file_system_id) => fail(format!(
            "--efs {file_system_id}: an EFS file system id looks like fs-0123456789abcdef0"
        )),
        Storage::S3 { uri } if !uri.starts_with("s3://") || uri.len() <= "s3://".len() => {
            fail(format!("--s3 {uri}: give s3://bucket/prefix"))
        }
        Storage::Pvc { .. } => {
            fail("a PersistentVolumeClaim is Kubernetes storage: give --efs or --s3".into())
        }
        _ => Ok(()),
    }
}

fn is_efs_id(id: &str) -> bool {
    id.strip_prefix("fs-").is_some_and(|hex| {
        (8..=40).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// A DNS label: what Kubernetes takes for names.
fn is_dns_label(name: &str, max: usize) -> bool {
    let is_label_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    (1..=max).contains(&name.len())
        && name.chars().all(is_label_char)
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Checks `opts` against Kubernetes' rules (see the module docs).
pub fn check_k8s(opts: &ExportOptions) -> Result<(), ExportError> {
    check_common(opts)?;
    // "-merge" is added for the merge Job.
    if !is_dns_label(&opts.job_name, 63 - "-merge".len()) {
        return fail(format!(
            "job name {:?}: Kubernetes takes 1 to 57 lowercase letters, digits and '-' \
             (63 with \"-merge\" added), starting and ending with a letter or digit",
            opts.job_name
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
    match &opts.storage {
        Storage::Pvc { claim, .. } if !is_dns_label(claim, 253) => fail(format!(
            "--pvc {claim:?}: a claim name is lowercase letters, digits and '-'"
        )),
        Storage::Pvc { .. } => Ok(()),
        _ => fail("Kubernetes output goes to a PersistentVolumeClaim, not --efs or --s3".into()),
    }
}

fn parallelism(opts: &ExportOptions) -> usize {
    opts.parallelism
        .unwrap_or(opts.shards)
        .clamp(1, opts.shards.max(1))
}

/// RegisterJobDefinition input. Call [`check_aws`] first.
pub fn aws_register_job_definition(opts: &ExportOptions) -> Value {
    let mut container = json!({
        "image": opts.image,
        "command": shard_command(opts),
        "resourceRequirements": [
            {"type": "VCPU", "value": opts.cpus.to_string()},
            {"type": "MEMORY", "value": opts.memory_mib.to_string()},
        ],
    });
    if let Storage::Efs { file_system_id } = &opts.storage {
        container["volumes"] = json!([{
            "name": "output",
            "efsVolumeConfiguration": {
                "fileSystemId": file_system_id,
                "rootDirectory": "/",
                "transitEncryption": "ENABLED",
            },
        }]);
        container["mountPoints"] = json!([{
            "sourceVolume": "output",
            "containerPath": EFS_MOUNT,
            "readOnly": false,
        }]);
    }
    if let Some(role) = &opts.job_role_arn {
        container["jobRoleArn"] = json!(role);
    }
    json!({
        "jobDefinitionName": opts.job_name,
        "type": "container",
        "platformCapabilities": ["EC2"],
        "containerProperties": container,
        "retryStrategy": {
            "attempts": opts.retries + 1,
            // Exit 2 is a config or data error: the same again on a retry.
            // Anything else (a reclaimed spot instance, a killed container)
            // runs the shard again; its journal keeps finished tasks on EFS.
            "evaluateOnExit": [
                {"onExitCode": "2", "action": "EXIT"},
                {"onReason": "*", "action": "RETRY"},
            ],
        },
        "propagateTags": true,
        "tags": {"app": "gridrun"},
    })
}

/// SubmitJob input of the array (a plain job for one shard: arrays need 2
/// to 10000 tasks).
pub fn aws_submit_job(opts: &ExportOptions) -> Value {
    let mut submit = json!({
        "jobName": opts.job_name,
        "jobQueue": opts.job_queue,
        "jobDefinition": opts.job_name,
    });
    if opts.shards >= 2 {
        submit["arrayProperties"] = json!({"size": opts.shards});
    }
    submit
}

/// SubmitJob input of the merge, run with the same job definition after
/// the array (`--depends-on jobId=ARRAY_JOB_ID` at submission).
pub fn aws_merge_job(opts: &ExportOptions) -> Value {
    json!({
        "jobName": format!("{}-merge", opts.job_name),
        "jobQueue": opts.job_queue,
        "jobDefinition": opts.job_name,
        "containerOverrides": {"command": merge_command(opts)},
    })
}

/// The claim name the pods mount.
fn claim(opts: &ExportOptions) -> &str {
    match &opts.storage {
        Storage::Pvc { claim, .. } => claim,
        _ => "",
    }
}

fn pod_spec(opts: &ExportOptions, command: Vec<String>) -> Value {
    let resources = json!({
        "cpu": opts.cpus.to_string(),
        "memory": format!("{}Mi", opts.memory_mib),
    });
    json!({
        "restartPolicy": "Never",
        "containers": [{
            "name": "gridrun",
            "image": opts.image,
            "imagePullPolicy": "IfNotPresent",
            "command": command,
            "resources": {"requests": resources, "limits": resources},
            "volumeMounts": [{"name": "output", "mountPath": PVC_MOUNT}],
        }],
        "volumes": [{"name": "output", "persistentVolumeClaim": {"claimName": claim(opts)}}],
    })
}

fn labels() -> Value {
    json!({"app.kubernetes.io/name": "gridrun"})
}

/// The PersistentVolumeClaim (ReadWriteMany) for the output, when gridrun
/// writes it.
pub fn k8s_claim(opts: &ExportOptions) -> Option<Value> {
    let Storage::Pvc {
        claim,
        create: true,
        size,
        storage_class,
    } = &opts.storage
    else {
        return None;
    };
    let mut spec = json!({
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": size}},
    });
    if let Some(class) = storage_class {
        spec["storageClassName"] = json!(class);
    }
    Some(json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": claim, "labels": labels()},
        "spec": spec,
    }))
}

/// The Indexed Job: pod `i` runs shard `i`, retried up to `retries` times
/// on its own (`backoffLimitPerIndex`); exit 2 (config or data error) fails
/// the index at once, and pods evicted by a node going away do not count.
pub fn k8s_indexed_job(opts: &ExportOptions) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": opts.job_name, "labels": labels()},
        "spec": {
            "completionMode": "Indexed",
            "completions": opts.shards,
            "parallelism": parallelism(opts),
            "backoffLimitPerIndex": opts.retries,
            "podFailurePolicy": {"rules": [
                {"action": "FailIndex", "onExitCodes": {"containerName": "gridrun", "operator": "In", "values": [2]}},
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
            ]},
            "template": {
                "metadata": {"labels": labels()},
                "spec": pod_spec(opts, shard_command(opts)),
            },
        },
    })
}

/// The merge Job, applied once the Indexed Job is complete.
pub fn k8s_merge_job(opts: &ExportOptions) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": format!("{}-merge", opts.job_name), "labels": labels()},
        "spec": {
            "completions": 1,
            "backoffLimit": opts.retries,
            "template": {
                "metadata": {"labels": labels()},
                "spec": pod_spec(opts, merge_command(opts)),
            },
        },
    })
}

/// Kubernetes objects as one YAML stream (`kubectl apply -f`).
pub fn yaml_documents(docs: &[Value]) -> String {
    let mut out = String::from("# Written by gridrun export-job.\n");
    for doc in docs {
        out.push_str("---\n");
        write_yaml(doc, 0, &mut out);
    }
    out
}

/// Block-style YAML of a JSON value: every string double-quoted (see
/// [`yaml_quote`]), keys plain (ours are identifiers and label keys).
fn write_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write_yaml(v, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}{key}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        write_yaml(item, indent + 2, &mut inner);
                        // The first key goes on the "- " line.
                        out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        v => out.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => yaml_quote(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
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

/// One file to write: its name (in the chosen folder) and text.
pub struct ExportFile {
    pub name: String,
    pub text: String,
}

/// The AWS Batch files.
pub fn aws_files(opts: &ExportOptions) -> Vec<ExportFile> {
    let pretty = |v: Value| serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    vec![
        ExportFile {
            name: format!("{}.register.json", opts.job_name),
            text: pretty(aws_register_job_definition(opts)),
        },
        ExportFile {
            name: format!("{}.submit.json", opts.job_name),
            text: pretty(aws_submit_job(opts)),
        },
        ExportFile {
            name: format!("{}.merge.json", opts.job_name),
            text: pretty(aws_merge_job(opts)),
        },
    ]
}

/// The Kubernetes files.
pub fn k8s_files(opts: &ExportOptions) -> Vec<ExportFile> {
    let mut job: Vec<Value> = k8s_claim(opts).into_iter().collect();
    job.push(k8s_indexed_job(opts));
    vec![
        ExportFile {
            name: format!("{}.job.yaml", opts.job_name),
            text: yaml_documents(&job),
        },
        ExportFile {
            name: format!("{}.merge.yaml", opts.job_name),
            text: yaml_documents(&[k8s_merge_job(opts)]),
        },
    ]
}

/// The commands to run next, `dir` being where the files are.
pub fn aws_next_steps(opts: &ExportOptions, dir: &str) -> String {
    let file = |suffix: &str| format!("file://{dir}/{}.{suffix}.json", opts.job_name);
    let results = match &opts.storage {
        Storage::Efs { file_system_id } => format!(
            "# results: {} on {file_system_id} (cv_results.csv, best.json, best_model.json)",
            opts.output.replacen(EFS_MOUNT, "", 1)
        ),
        Storage::S3 { uri } => format!(
            "aws s3 sync {uri} ./{} --exclude 'cache/*'   # the merged results",
            opts.job_name
        ),
        Storage::Pvc { .. } => String::new(),
    };
    format!(
        "# job queue {queue:?} must exist (an EC2 compute environment; spot works: shards are retried)\n\
         aws batch register-job-definition --cli-input-json {register}\n\
         JOB_ID=$(aws batch submit-job --cli-input-json {submit} --query jobId --output text)\n\
         aws batch submit-job --cli-input-json {merge} --depends-on jobId=$JOB_ID\n\
         aws batch describe-jobs --jobs $JOB_ID --query 'jobs[0].[status,arrayProperties.statusSummary]'\n\
         {results}\n",
        queue = opts.job_queue,
        register = file("register"),
        submit = file("submit"),
        merge = file("merge"),
    )
}

pub fn k8s_next_steps(opts: &ExportOptions, dir: &str) -> String {
    let name = &opts.job_name;
    format!(
        "kubectl apply -f {dir}/{name}.job.yaml\n\
         kubectl wait --for=condition=complete job/{name} --timeout=24h\n\
         kubectl apply -f {dir}/{name}.merge.yaml\n\
         kubectl wait --for=condition=complete job/{name}-merge --timeout=1h\n\
         kubectl logs job/{name}-merge\n\
         # results: {} on the claim {} (cv_results.csv, best.json, best_model.json)\n",
        opts.output,
        claim(opts)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(storage: Storage) -> ExportOptions {
        ExportOptions {
            shards: 4,
            job_name: "gridrun-wine".into(),
            image: "ghcr.io/example/gridrun:0.1".into(),
            gridrun_exe: IMAGE_GRIDRUN.into(),
            config: "/job/configs/wine.toml".into(),
            output: match storage {
                Storage::Efs { .. } => "/mnt/efs/wine".into(),
                Storage::S3 { .. } => "/tmp/gridrun/wine".into(),
                Storage::Pvc { .. } => "/mnt/gridrun/wine".into(),
            },
            cpus: 2,
            memory_mib: 4096,
            job_queue: "gridrun-queue".into(),
            parallelism: None,
            retries: 1,
            extra_args: vec!["--quiet".into()],
            storage,
            job_role_arn: None,
        }
    }

    fn efs() -> ExportOptions {
        options(Storage::Efs {
            file_system_id: "fs-0123456789abcdef0".into(),
        })
    }

    fn s3() -> ExportOptions {
        options(Storage::S3 {
            uri: "s3://bucket/runs/wine".into(),
        })
    }

    fn pvc() -> ExportOptions {
        options(Storage::Pvc {
            claim: "gridrun-wine-output".into(),
            create: true,
            size: "10Gi".into(),
            storage_class: Some("efs-sc".into()),
        })
    }

    #[test]
    fn efs_shards_run_gridrun_directly_on_the_mount() {
        let def = aws_register_job_definition(&efs());
        let c = &def["containerProperties"];
        assert_eq!(
            c["command"],
            json!([
                IMAGE_GRIDRUN,
                "run",
                "/job/configs/wine.toml",
                "--shards",
                "4",
                "--output",
                "/mnt/efs/wine",
                "--jobs",
                "2",
                "--quiet"
            ])
        );
        assert_eq!(
            c["volumes"][0]["efsVolumeConfiguration"]["fileSystemId"],
            "fs-0123456789abcdef0"
        );
        assert_eq!(c["mountPoints"][0]["containerPath"], EFS_MOUNT);
        assert_eq!(
            c["resourceRequirements"],
            json!([{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "4096"}])
        );
        assert_eq!(def["retryStrategy"]["attempts"], 2);
        let submit = aws_submit_job(&efs());
        assert_eq!(submit["arrayProperties"]["size"], 4);
        assert_eq!(submit["jobDefinition"], def["jobDefinitionName"]);
        let merge = aws_merge_job(&efs());
        assert_eq!(merge["jobName"], "gridrun-wine-merge");
        assert_eq!(
            merge["containerOverrides"]["command"],
            json!([IMAGE_GRIDRUN, "merge", "/mnt/efs/wine"])
        );
    }

    #[test]
    fn s3_shards_sync_their_output_whatever_gridrun_exits_with() {
        let command = shard_command(&s3());
        assert_eq!(command[..2], ["/bin/sh", "-c"]);
        assert_eq!(
            command[2],
            "/usr/local/bin/gridrun run /job/configs/wine.toml --shards 4 --output /tmp/gridrun/wine \
             --jobs 2 --quiet; status=$?; aws s3 sync --only-show-errors /tmp/gridrun/wine \
             s3://bucket/runs/wine --exclude 'cache/*' || exit 1; exit $status"
        );
        let merge = merge_command(&s3());
        assert!(merge[2]
            .starts_with("aws s3 sync --only-show-errors s3://bucket/runs/wine /tmp/gridrun/wine"));
        assert!(merge[2].contains("&& /usr/local/bin/gridrun merge /tmp/gridrun/wine;"));
        assert!(aws_register_job_definition(&s3())["containerProperties"]
            .get("volumes")
            .is_none());
    }

    #[test]
    fn aws_single_shard_is_a_plain_job() {
        let one = ExportOptions { shards: 1, ..efs() };
        assert!(aws_submit_job(&one).get("arrayProperties").is_none());
        assert!(check_aws(&one).is_ok());
    }

    #[test]
    fn aws_checks_limits() {
        assert_eq!(check_aws(&efs()), Ok(()));
        assert_eq!(check_aws(&s3()), Ok(()));
        assert!(check_aws(&ExportOptions {
            shards: 10_000,
            ..efs()
        })
        .is_ok());
        let bad = [
            ExportOptions {
                shards: 10_001,
                ..efs()
            },
            ExportOptions { shards: 0, ..efs() },
            ExportOptions {
                job_name: "_x".into(),
                ..efs()
            },
            ExportOptions {
                job_name: "a b".into(),
                ..efs()
            },
            ExportOptions {
                job_name: "x".repeat(123),
                ..efs()
            },
            ExportOptions {
                job_queue: " ".into(),
                ..efs()
            },
            ExportOptions {
                memory_mib: 3,
                ..efs()
            },
            ExportOptions { cpus: 0, ..efs() },
            ExportOptions {
                retries: 10,
                ..efs()
            },
            ExportOptions {
                image: "".into(),
                ..efs()
            },
            ExportOptions {
                output: "/data/out".into(),
                ..efs()
            },
            ExportOptions {
                config: "configs/wine.toml".into(),
                ..efs()
            },
            options(Storage::Efs {
                file_system_id: "my-fs".into(),
            }),
            options(Storage::S3 {
                uri: "bucket/x".into(),
            }),
            pvc(),
        ];
        for opts in bad {
            assert!(check_aws(&opts).is_err(), "{opts:?}");
        }
        assert_eq!(
            check_aws(&ExportOptions {
                shards: 10_001,
                ..efs()
            })
            .unwrap_err()
            .to_string(),
            "--shards 10001: AWS Batch array jobs have at most 10000 tasks"
        );
    }

    #[test]
    fn k8s_indexed_job_retries_per_index_and_shares_a_claim() {
        let opts = ExportOptions {
            parallelism: Some(2),
            ..pvc()
        };
        let job = k8s_indexed_job(&opts);
        let spec = &job["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!(
            (spec["completions"].as_u64(), spec["parallelism"].as_u64()),
            (Some(4), Some(2))
        );
        assert_eq!(spec["backoffLimitPerIndex"], 1);
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(
            pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
            "gridrun-wine-output"
        );
        assert_eq!(
            pod["containers"][0]["volumeMounts"][0]["mountPath"],
            PVC_MOUNT
        );
        assert_eq!(pod["containers"][0]["command"][6], "/mnt/gridrun/wine");
        let claim = k8s_claim(&opts).unwrap();
        assert_eq!(claim["spec"]["accessModes"], json!(["ReadWriteMany"]));
        assert_eq!(claim["spec"]["storageClassName"], "efs-sc");
        let merge = k8s_merge_job(&opts);
        assert_eq!(merge["metadata"]["name"], "gridrun-wine-merge");
        assert_eq!(
            merge["spec"]["template"]["spec"]["containers"][0]["command"],
            json!([IMAGE_GRIDRUN, "merge", "/mnt/gridrun/wine"])
        );
        let existing = options(Storage::Pvc {
            claim: "shared".into(),
            create: false,
            size: "1Gi".into(),
            storage_class: None,
        });
        assert!(k8s_claim(&existing).is_none());
        assert_eq!(k8s_files(&existing)[0].text.matches("---").count(), 1);
        assert_eq!(k8s_files(&opts)[0].text.matches("---").count(), 2);
    }

    #[test]
    fn k8s_parallelism_defaults_to_all_shards_and_is_capped() {
        assert_eq!(k8s_indexed_job(&pvc())["spec"]["parallelism"], 4);
        let capped = ExportOptions {
            parallelism: Some(99),
            ..pvc()
        };
        assert_eq!(k8s_indexed_job(&capped)["spec"]["parallelism"], 4);
    }

    #[test]
    fn k8s_checks_names_and_storage() {
        assert_eq!(check_k8s(&pvc()), Ok(()));
        for name in [
            "",
            "Gridrun",
            "grid_run",
            "-x",
            "x-",
            "a.b",
            &"x".repeat(58),
        ] {
            let opts = ExportOptions {
                job_name: name.to_string(),
                ..pvc()
            };
            assert!(check_k8s(&opts).is_err(), "{name:?}");
        }
        assert!(check_k8s(&ExportOptions {
            job_name: "x".repeat(57),
            ..pvc()
        })
        .is_ok());
        // Kubernetes has no 10000-task array limit.
        assert!(check_k8s(&ExportOptions {
            shards: 20_000,
            ..pvc()
        })
        .is_ok());
        assert!(check_k8s(&efs()).is_err());
    }

    #[test]
    fn yaml_is_block_style_with_quoted_strings() {
        let doc = json!({"a": {"b": [1, "x"], "c": [{"d": "y", "e": {"f": true}}], "g": {}}});
        assert_eq!(
            yaml_documents(&[doc]),
            "# Written by gridrun export-job.\n---\na:\n  b:\n    - 1\n    - \"x\"\n  c:\n    - d: \"y\"\n      e:\n        f: true\n  g: {}\n"
        );
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
    }
}
