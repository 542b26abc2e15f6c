//! The pod both manifests run — the Deployment's template and the KServe predictor: labels and
//! metadata, the server container with its probes and resources, and the Pod Security Standard
//! "restricted" contexts. The builders assume a validated spec.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, EnvVar, HTTPGetAction,
    PodSecurityContext, Probe, ResourceRequirements, SeccompProfile, SecurityContext, Volume,
    VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::K8sSpec;

pub(super) const PORT_NAME: &str = "http";

pub(super) const LIVE_PATH: &str = "/v2/health/live";
const READY_PATH: &str = "/v2/health/ready";
pub(super) const TMP_VOLUME: &str = "tmp";
const TMP_SIZE_LIMIT: &str = "128Mi";
/// Room for the endpoint removal to reach every proxy and for in-flight requests to finish
/// after SIGTERM; Kubernetes' default is 30 s.
pub(super) const TERMINATION_GRACE_SECONDS: i64 = 45;

pub(super) const LABEL_NAME: &str = "app.kubernetes.io/name";
pub(super) const LABEL_VERSION: &str = "app.kubernetes.io/version";
pub(super) const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
pub(super) const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
const COMPONENT: &str = "model-server";
pub(super) const MANAGED_BY: &str = "lathe";

/// Labels that pick the server's pods: stable across versions, because a Deployment's
/// selector cannot change once applied.
pub(super) fn selector_labels(spec: &K8sSpec) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAME.to_owned(), spec.name.to_owned()),
        (LABEL_COMPONENT.to_owned(), COMPONENT.to_owned()),
    ])
}

pub(super) fn labels(spec: &K8sSpec) -> BTreeMap<String, String> {
    let mut labels = selector_labels(spec);
    labels.insert(LABEL_VERSION.to_owned(), spec.version.to_owned());
    labels.insert(LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned());
    labels
}

pub(super) fn metadata(spec: &K8sSpec) -> ObjectMeta {
    ObjectMeta {
        name: Some(spec.name.to_owned()),
        labels: Some(labels(spec)),
        ..ObjectMeta::default()
    }
}

fn http_probe(path: &str, port: &IntOrString, period: i32, failures: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.to_owned()),
            port: port.clone(),
            scheme: Some("HTTP".to_owned()),
            ..HTTPGetAction::default()
        }),
        period_seconds: Some(period),
        timeout_seconds: Some(2),
        success_threshold: Some(1),
        failure_threshold: Some(failures),
        ..Probe::default()
    }
}

fn resources(spec: &K8sSpec) -> ResourceRequirements {
    let pair = |cpu: &str, memory: &str| {
        BTreeMap::from([
            ("cpu".to_owned(), Quantity(cpu.to_owned())),
            ("memory".to_owned(), Quantity(memory.to_owned())),
        ])
    };
    ResourceRequirements {
        requests: Some(pair(spec.cpu_request, spec.memory_request)),
        limits: Some(pair(spec.cpu_limit, spec.memory_limit)),
        ..ResourceRequirements::default()
    }
}

/// The container: `port_name` names the container port, probes reach it by `probe_port`.
pub(super) fn container(
    spec: &K8sSpec,
    name: &str,
    port_name: &str,
    probe_port: &IntOrString,
    env: Option<Vec<EnvVar>>,
) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(spec.image.to_owned()),
        // Air-gapped clusters pull from a mirror or have the image preloaded: never force a pull.
        image_pull_policy: Some("IfNotPresent".to_owned()),
        env,
        ports: Some(vec![ContainerPort {
            name: Some(port_name.to_owned()),
            container_port: i32::from(spec.port),
            protocol: Some("TCP".to_owned()),
            ..ContainerPort::default()
        }]),
        // Until the process answers at all (model loading included), allow up to 60 s
        // before the liveness probe takes over.
        startup_probe: Some(http_probe(LIVE_PATH, probe_port, 2, 30)),
        // Restart a server that stops answering for 30 s.
        liveness_probe: Some(http_probe(LIVE_PATH, probe_port, 10, 3)),
        // Take a pod out of the Service within 15 s of its model becoming unavailable.
        readiness_probe: Some(http_probe(READY_PATH, probe_port, 5, 3)),
        resources: Some(resources(spec)),
        security_context: Some(container_security_context()),
        volume_mounts: Some(vec![VolumeMount {
            name: TMP_VOLUME.to_owned(),
            mount_path: "/tmp".to_owned(),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    }
}

/// Pod Security Standard "restricted". No `runAsUser` (here or on the container): the image
/// declares a numeric non-root USER, and OpenShift's restricted SCC assigns an arbitrary UID
/// from the namespace's range, which a fixed UID would conflict with.
pub(super) fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            ..SeccompProfile::default()
        }),
        ..PodSecurityContext::default()
    }
}

/// Container half of "restricted": no privilege escalation, no capabilities, a read-only
/// root filesystem (scratch space is the `/tmp` emptyDir). Again no `runAsUser`.
fn container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            ..Capabilities::default()
        }),
        ..SecurityContext::default()
    }
}

pub(super) fn volumes() -> Vec<Volume> {
    vec![Volume {
        name: TMP_VOLUME.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource {
            size_limit: Some(Quantity(TMP_SIZE_LIMIT.to_owned())),
            ..EmptyDirVolumeSource::default()
        }),
        ..Volume::default()
    }]
}
