//! Where the pipeline outgrows one machine: `lathe pipeline generate` writes
//!
//! - `cronjob.yaml`: a Kubernetes `CronJob` (k8s-openapi's typed structs)
//!   that runs `lathe pipeline run` on a schedule, the project on a volume;
//!   `concurrencyPolicy: Forbid` and the pipeline's own lock keep it to one
//!   run at a time, and a failed gate (exit 1) is not retried;
//! - `tekton/task.yaml`, `tekton/pipeline.yaml`: OpenShift Pipelines that
//!   validate, train, gate and build the new bundle's image with buildah;
//! - `gitops/`: an Argo CD-ready kustomize layout, `base/` holding the
//!   champion bundle's manifests and `overlays/production/` retargeting its image.
//!
//! Everything is serialised from structs; nothing is a string template.

pub mod tekton;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, SeccompProfile, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::bundle::k8s::{KUSTOMIZATION_FILE, Kustomization, KustomizeImage};
use crate::config::write_atomic;
use crate::error::{Error, Result};
use crate::project::{PROJECT_FILE, Project};

/// Where the project is mounted in the cluster's pods.
pub const MOUNT: &str = "/project";

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// The folder to write into (created; existing files are replaced).
    #[arg(long, value_name = "DIR", default_value = "deploy")]
    pub out: PathBuf,
    /// The CronJob's schedule (cron syntax, UTC).
    #[arg(long, default_value = "0 3 * * *")]
    pub schedule: String,
    /// An image with the lathe binary, which runs the pipeline.
    #[arg(long, value_name = "REF")]
    pub lathe_image: Option<String>,
    /// Where the model server's image goes (Tekton's buildah push, the overlay's image).
    #[arg(
        long,
        value_name = "REF",
        default_value = "registry.example.com/ml/model:latest"
    )]
    pub image: String,
    /// The PersistentVolumeClaim holding the project.
    #[arg(long, value_name = "NAME", default_value = "lathe-project")]
    pub claim: String,
}

fn lathe_image(a: &GenerateArgs) -> String {
    a.lathe_image
        .clone()
        .unwrap_or_else(|| format!("localhost/lathe:{}", env!("CARGO_PKG_VERSION")))
}

/// The CronJob that runs the pipeline with `--when-drift` on a schedule.
pub fn cronjob(project: &Project, a: &GenerateArgs) -> CronJob {
    let name = format!(
        "{}-retrain",
        crate::bundle::export::dns_name(&project.file.name)
    );
    let labels = BTreeMap::from([
        ("app.kubernetes.io/name".to_owned(), name.clone()),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "lathe".to_owned(),
        ),
    ]);
    let container = Container {
        name: "pipeline".into(),
        image: Some(lathe_image(a)),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(vec![
            "pipeline".into(),
            "run".into(),
            format!("{MOUNT}/{PROJECT_FILE}"),
            "--when-drift".into(),
            "--wait".into(),
        ]),
        working_dir: Some(MOUNT.into()),
        volume_mounts: Some(vec![VolumeMount {
            name: "project".into(),
            mount_path: MOUNT.into(),
            ..VolumeMount::default()
        }]),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Capabilities::default()
            }),
            ..SecurityContext::default()
        }),
        ..Container::default()
    };
    let pod = PodSpec {
        restart_policy: Some("Never".into()),
        containers: vec![container],
        volumes: Some(vec![Volume {
            name: "project".into(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: a.claim.clone(),
                read_only: Some(false),
            }),
            ..Volume::default()
        }]),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..SeccompProfile::default()
            }),
            ..PodSecurityContext::default()
        }),
        ..PodSpec::default()
    };
    CronJob {
        metadata: ObjectMeta {
            name: Some(name),
            labels: Some(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(CronJobSpec {
            schedule: a.schedule.clone(),
            time_zone: Some("Etc/UTC".into()),
            concurrency_policy: Some("Forbid".into()),
            successful_jobs_history_limit: Some(3),
            failed_jobs_history_limit: Some(5),
            job_template: JobTemplateSpec {
                metadata: None,
                spec: Some(JobSpec {
                    // A failed check or gate exits 1: a retry would fail the same way.
                    backoff_limit: Some(0),
                    template: PodTemplateSpec {
                        metadata: Some(ObjectMeta {
                            labels: Some(labels),
                            ..ObjectMeta::default()
                        }),
                        spec: Some(pod),
                    },
                    ..JobSpec::default()
                }),
            },
            ..CronJobSpec::default()
        }),
        ..CronJob::default()
    }
}

fn yaml(header: &str, v: &impl Serialize) -> Result<String> {
    let body = yaml_serde::to_string(v).map_err(|e| Error::internal(format!("YAML: {e}")))?;
    Ok(format!(
        "# generated by lathe {} ({header}) — regenerate with `lathe pipeline generate`\n{body}",
        env!("CARGO_PKG_VERSION")
    ))
}

/// Write every file; returns their paths, and notes on what was left out
/// (the gitops layout needs a champion with a bundle).
pub fn write(project: &Project, a: &GenerateArgs) -> Result<(Vec<PathBuf>, Vec<String>)> {
    let out = project.resolve(&a.out);
    let mut files: Vec<(PathBuf, String)> = vec![(
        out.join("cronjob.yaml"),
        yaml("Kubernetes CronJob", &cronjob(project, a))?,
    )];
    let task = tekton::task(&lathe_image(a), &a.image);
    files.push((
        out.join("tekton/pipeline.yaml"),
        yaml("Tekton Pipeline", &tekton::pipeline(&task))?,
    ));
    files.push((out.join("tekton/task.yaml"), yaml("Tekton Task", &task)?));
    let mut notes = Vec::new();
    match gitops(project, &out.join("gitops"), &a.image) {
        Ok(f) => files.extend(f),
        Err(e) if e.kind == crate::error::ErrorKind::Usage => {
            notes.push(format!("no gitops/ layout: {e}"));
        }
        Err(e) => return Err(e),
    }
    let mut written = Vec::new();
    for (path, text) in files {
        write_atomic(&path, text.as_bytes())?;
        written.push(path);
    }
    Ok((written, notes))
}

/// `gitops/base/` (the champion's bundle manifests) and `gitops/overlays/production/`.
fn gitops(project: &Project, dir: &Path, image: &str) -> Result<Vec<(PathBuf, String)>> {
    let bundle = champion_bundle(project)?;
    let k8s = bundle.join("k8s");
    let mut files = Vec::new();
    for name in ["deployment.yaml", "service.yaml", KUSTOMIZATION_FILE] {
        let p = k8s.join(name);
        let text = std::fs::read_to_string(&p).map_err(|e| Error::io(&p, &e))?;
        files.push((dir.join("base").join(name), text));
    }
    let base_text = &files[2].1;
    let base: Kustomization = yaml_serde::from_str(base_text)
        .map_err(|e| Error::input(format!("the bundle's kustomization: {e}")).at(&k8s))?;
    let (new_name, new_tag) = match image.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
        Some((n, t)) => (n.to_owned(), Some(t.to_owned())),
        None => (image.to_owned(), None),
    };
    let overlay = Kustomization {
        api_version: base.api_version.clone(),
        kind: base.kind.clone(),
        resources: vec!["../../base".into()],
        images: base
            .images
            .iter()
            .map(|i| KustomizeImage {
                name: i.name.clone(),
                new_name: Some(new_name.clone()),
                new_tag: new_tag.clone(),
                digest: None,
            })
            .collect(),
        labels: Vec::new(),
    };
    files.push((
        dir.join("overlays/production").join(KUSTOMIZATION_FILE),
        yaml(
            "kustomize overlay; point an Argo CD Application at this folder",
            &overlay,
        )?,
    ));
    Ok(files)
}

/// The newest bundle of the champion run.
fn champion_bundle(project: &Project) -> Result<PathBuf> {
    let store = crate::experiments::Store::open(project);
    let champion = store
        .curation()?
        .aliases
        .get(crate::experiments::curation::CHAMPION)
        .cloned()
        .ok_or_else(|| {
            Error::usage("no champion yet, so no bundle to deploy").hint(
                "run `lathe pipeline run` first; the gitops layout holds the champion's bundle",
            )
        })?;
    let root = project.state_dir().join(crate::bundle::export::BUNDLES_DIR);
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for name in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for ver in std::fs::read_dir(name.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let dir = ver.path();
            if let Ok((m, _)) = crate::bundle::manifest::read_manifest(&dir)
                && m.run_id == champion
            {
                found.push((m.created.clone(), dir));
            }
        }
    }
    found.sort();
    found.pop().map(|(_, d)| d).ok_or_else(|| {
        Error::usage(format!("champion {champion} has no bundle"))
            .hint("export it: lathe bundle export @champion (or add the bundle step)")
    })
}
