//! `gridrun export-job`: turns the command line, the config and a saved
//! estimate into [`export::ExportOptions`], writes the files and prints the
//! commands to run next.

use super::export::{self, ExportOptions, Storage};
use crate::cli::{ExportArgs, ExportFormat};
use crate::config::Config;
use anyhow::{anyhow, bail, Context as _, Result};
use std::path::{Path, PathBuf};

/// CPUs and memory per container when no estimate says otherwise.
const DEFAULT_CPUS: u32 = 2;
const DEFAULT_MEMORY_MIB: u64 = 4096;
/// Memory left to the OS and gridrun's coordinator in each container.
const HEADROOM_MIB: u64 = 1024;

pub fn export_job(args: &ExportArgs) -> Result<u8> {
    let config = Config::load(&args.config)?;
    crate::strategy::halving_run::refuse_split(&config, "gridrun export-job")?;
    let opts = options(args, &config)?;
    let dir = args.dir.display().to_string();
    let (files, steps) = match args.format {
        ExportFormat::AwsBatch => {
            export::check_aws(&opts).map_err(|e| anyhow!("{e}"))?;
            (
                export::aws_files(&opts),
                export::aws_next_steps(&opts, &dir),
            )
        }
        ExportFormat::K8s => {
            export::check_k8s(&opts).map_err(|e| anyhow!("{e}"))?;
            (
                export::k8s_files(&opts),
                export::k8s_next_steps(&opts, &dir),
            )
        }
    };
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("{}: cannot create", args.dir.display()))?;
    for file in &files {
        let path = args.dir.join(&file.name);
        crate::results::atomic::write_text(&path, &file.text)?;
        crate::outln!("wrote {}", path.display());
    }
    crate::outln!(
        "{} shards of {} CPUs and {} MiB each, image {}; next:",
        opts.shards,
        opts.cpus,
        opts.memory_mib,
        opts.image
    );
    crate::outln!("{}", steps.trim_end_matches('\n'));
    Ok(0)
}

fn options(args: &ExportArgs, config: &Config) -> Result<ExportOptions> {
    let job_name = format!("gridrun-{}", config.name)
        .to_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    let storage = storage(args, &job_name)?;
    let root = match &storage {
        Storage::Efs { .. } => export::EFS_MOUNT,
        Storage::S3 { .. } => export::S3_LOCAL,
        Storage::Pvc { .. } => export::PVC_MOUNT,
    };
    let (cpus, memory_mib) = resources(args, config)?;
    Ok(ExportOptions {
        shards: args.shards,
        image: args.image.clone(),
        gridrun_exe: export::IMAGE_GRIDRUN.into(),
        config: match &args.container_config {
            Some(path) => path.clone(),
            // A command task without data: only the config must be in the image.
            None => container_config(
                &args.config,
                config.dataset.as_ref().map_or(&args.config, |d| &d.path),
            )?,
        },
        output: args
            .output
            .clone()
            .unwrap_or_else(|| format!("{root}/{}", config.name)),
        cpus,
        memory_mib,
        job_queue: args.queue.clone(),
        parallelism: None,
        retries: args.retries,
        extra_args: vec!["--quiet".into()],
        storage,
        job_role_arn: args.job_role_arn.clone(),
        job_name,
    })
}

fn storage(args: &ExportArgs, job_name: &str) -> Result<Storage> {
    Ok(match args.format {
        ExportFormat::AwsBatch => match (&args.efs, &args.s3) {
            (Some(id), None) => Storage::Efs {
                file_system_id: id.clone(),
            },
            (None, Some(uri)) => Storage::S3 {
                uri: uri.trim_end_matches('/').to_string(),
            },
            _ => bail!(
                "--format aws-batch needs storage every shard can reach: --efs fs-ID \
                 (an EFS file system) or --s3 s3://BUCKET/PREFIX"
            ),
        },
        ExportFormat::K8s => {
            if args.efs.is_some() || args.s3.is_some() {
                bail!("--format k8s writes to a PersistentVolumeClaim: --efs and --s3 are for aws-batch");
            }
            Storage::Pvc {
                claim: args
                    .pvc
                    .clone()
                    .unwrap_or_else(|| format!("{job_name}-output")),
                create: args.pvc.is_none(),
                size: args.storage_size.clone(),
                storage_class: args.storage_class.clone(),
            }
        }
    })
}

/// The config inside the image: the image holds this folder's `configs/`
/// and `datasets/` under /job (baked or mounted), so both the config and
/// its dataset must be inside this folder.
fn container_config(config: &Path, dataset: &Path) -> Result<String> {
    let here = std::env::current_dir().context("cannot read the current folder")?;
    let inside = |path: &Path| -> Result<PathBuf> {
        let abs = std::path::absolute(path)
            .with_context(|| format!("{}: cannot resolve", path.display()))?;
        abs.strip_prefix(&here).map(Path::to_path_buf).map_err(|_| {
            anyhow!(
                "{}: outside the current folder {}, which the image holds at {}: run export-job \
                 from the folder with the config and data, or give --container-config",
                path.display(),
                here.display(),
                export::IMAGE_JOB_DIR
            )
        })
    };
    inside(dataset)?;
    Ok(format!(
        "{}/{}",
        export::IMAGE_JOB_DIR,
        inside(config)?.display()
    ))
}

/// CPUs and MiB per container: given, else from the saved estimate (the
/// cores it found for the deadline, split over the shards; each worker's
/// peak RSS from the pilot plus headroom), else defaults.
fn resources(args: &ExportArgs, config: &Config) -> Result<(u32, u64)> {
    let path = args
        .estimate
        .clone()
        .unwrap_or_else(|| crate::output_dir::OutputDir::new(&config.run.output).estimate());
    let saved = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            serde_json::from_str::<serde_json::Value>(&text)
                .with_context(|| format!("{}: not an estimate", path.display()))?,
        ),
        Err(e) if args.estimate.is_some() => bail!("{}: cannot read: {e}", path.display()),
        Err(_) => None,
    };
    let cores = saved
        .as_ref()
        .and_then(|v| v["cores"]["cores"].as_u64())
        .map(|c| c.div_ceil(args.shards.max(1) as u64).max(1) as u32);
    let cpus = args.cpus.or(cores).unwrap_or(DEFAULT_CPUS);
    let rss_mib = saved
        .as_ref()
        .and_then(|v| v["pilot"]["worker_peak_rss_bytes"].as_u64())
        .map(|b| b.div_ceil(1 << 20));
    let memory = args
        .memory_mib
        .or(rss_mib.map(|r| cpus as u64 * r + HEADROOM_MIB))
        .unwrap_or(DEFAULT_MEMORY_MIB);
    if saved.is_some() && (args.cpus.is_none() || args.memory_mib.is_none()) {
        crate::errln!(
            "gridrun: containers sized from {}: {cpus} CPUs, {memory} MiB",
            path.display()
        );
    }
    Ok((cpus, memory))
}
