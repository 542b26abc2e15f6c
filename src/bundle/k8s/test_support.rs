//! Test helpers shared by the manifest kinds' tests: a valid spec, the files it gives, YAML
//! read back, and the container and pod checks the Deployment and the InferenceService share.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodSecurityContext, Volume};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod::{LIVE_PATH, TMP_VOLUME};
use super::{K8sSpec, manifests};

pub(super) fn spec() -> K8sSpec<'static> {
    K8sSpec {
        name: "maint-logreg",
        version: "0.1.3",
        image: "registry.example.com/ml/maint-logreg:0.1.3",
        port: 8080,
        replicas: 2,
        cpu_request: "100m",
        memory_request: "64Mi",
        cpu_limit: "1",
        memory_limit: "256Mi",
    }
}

pub(super) fn files(spec: &K8sSpec) -> BTreeMap<String, String> {
    manifests(spec).unwrap().into_iter().collect()
}

pub(super) fn yaml<T: serde::de::DeserializeOwned>(
    files: &BTreeMap<String, String>,
    name: &str,
) -> T {
    yaml_serde::from_str(&files[name])
        .unwrap_or_else(|e| panic!("{name} does not parse back: {e}\n{}", files[name]))
}

pub(super) fn q(s: &str) -> Quantity {
    Quantity(s.to_owned())
}

/// The probes, resources and security context both the Deployment's and the
/// InferenceService's container must have.
pub(super) fn check_container(c: &Container, port_name: &str, probe_port: &IntOrString) {
    assert_eq!(
        c.image.as_deref(),
        Some("registry.example.com/ml/maint-logreg:0.1.3")
    );
    assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
    let ports = c.ports.as_ref().unwrap();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].container_port, 8080);
    assert_eq!(ports[0].name.as_deref(), Some(port_name));

    for (probe, path) in [
        (&c.startup_probe, LIVE_PATH),
        (&c.liveness_probe, "/v2/health/live"),
        (&c.readiness_probe, "/v2/health/ready"),
    ] {
        let probe = probe.as_ref().unwrap();
        let get = probe.http_get.as_ref().unwrap();
        assert_eq!(get.path.as_deref(), Some(path));
        assert_eq!(&get.port, probe_port);
        assert!(probe.period_seconds.unwrap() > 0 && probe.failure_threshold.unwrap() > 0);
    }

    let res = c.resources.as_ref().unwrap();
    let requests = res.requests.as_ref().unwrap();
    let limits = res.limits.as_ref().unwrap();
    assert_eq!(requests["cpu"], q("100m"));
    assert_eq!(requests["memory"], q("64Mi"));
    assert_eq!(limits["cpu"], q("1"));
    assert_eq!(limits["memory"], q("256Mi"));

    let sc = c.security_context.as_ref().unwrap();
    assert_eq!(sc.allow_privilege_escalation, Some(false));
    assert_eq!(sc.read_only_root_filesystem, Some(true));
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(
        sc.run_as_user, None,
        "a fixed UID breaks OpenShift's restricted SCC"
    );
    assert_eq!(sc.privileged, None);
    assert_eq!(
        sc.capabilities.as_ref().unwrap().drop.as_deref(),
        Some(&["ALL".to_owned()][..])
    );
    assert_eq!(sc.capabilities.as_ref().unwrap().add, None);

    let mounts = c.volume_mounts.as_ref().unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| m.name == TMP_VOLUME && m.mount_path == "/tmp")
    );
}

pub(super) fn check_pod_level(
    sc: Option<&PodSecurityContext>,
    automount: Option<bool>,
    grace: Option<i64>,
    volumes: Option<&Vec<Volume>>,
) {
    let sc = sc.unwrap();
    assert_eq!(sc.run_as_non_root, Some(true));
    assert_eq!(sc.seccomp_profile.as_ref().unwrap().type_, "RuntimeDefault");
    assert_eq!(
        sc.run_as_user, None,
        "a fixed UID breaks OpenShift's restricted SCC"
    );
    assert_eq!(automount, Some(false));
    assert!(grace.unwrap() >= 30);
    let tmp = volumes
        .unwrap()
        .iter()
        .find(|v| v.name == TMP_VOLUME)
        .unwrap();
    assert!(tmp.empty_dir.is_some());
}
