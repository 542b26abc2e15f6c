//! `deployment.yaml`: the plain Kubernetes Deployment of the server (k8s-openapi's type), rolled
//! out one new pod before an old one stops.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{PodSpec, PodTemplateSpec, TopologySpreadConstraint};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::K8sSpec;
use super::pod::{
    PORT_NAME, TERMINATION_GRACE_SECONDS, container, labels, metadata, pod_security_context,
    selector_labels, volumes,
};

const CONTAINER_NAME: &str = "server";

pub(super) fn deployment(spec: &K8sSpec) -> Deployment {
    let port = IntOrString::String(PORT_NAME.to_owned());
    Deployment {
        metadata: metadata(spec),
        spec: Some(DeploymentSpec {
            replicas: Some(spec.replicas),
            selector: LabelSelector {
                match_labels: Some(selector_labels(spec)),
                ..LabelSelector::default()
            },
            // Start the new pod before stopping an old one: no capacity lost in a rollout.
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".to_owned()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(spec)),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    // The server never talks to the Kubernetes API.
                    automount_service_account_token: Some(false),
                    termination_grace_period_seconds: Some(TERMINATION_GRACE_SECONDS),
                    security_context: Some(pod_security_context()),
                    containers: vec![container(spec, CONTAINER_NAME, PORT_NAME, &port, None)],
                    volumes: Some(volumes()),
                    // Prefer replicas on different nodes; schedule anyway on a single node.
                    topology_spread_constraints: Some(vec![TopologySpreadConstraint {
                        max_skew: 1,
                        topology_key: "kubernetes.io/hostname".to_owned(),
                        when_unsatisfiable: "ScheduleAnyway".to_owned(),
                        label_selector: Some(LabelSelector {
                            match_labels: Some(selector_labels(spec)),
                            ..LabelSelector::default()
                        }),
                        ..TopologySpreadConstraint::default()
                    }]),
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        ..Deployment::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::k8s::DEPLOYMENT_FILE;
    use crate::bundle::k8s::pod::{LABEL_COMPONENT, LABEL_MANAGED_BY, LABEL_NAME, LABEL_VERSION};
    use crate::bundle::k8s::test_support::*;

    #[test]
    fn deployment_round_trip() {
        let files = files(&spec());
        let d: Deployment = yaml(&files, DEPLOYMENT_FILE);
        assert_eq!(
            d,
            deployment(&spec()),
            "the YAML must hold everything the struct has"
        );

        assert_eq!(d.metadata.name.as_deref(), Some("maint-logreg"));
        let labels = d.metadata.labels.as_ref().unwrap();
        assert_eq!(labels[LABEL_NAME], "maint-logreg");
        assert_eq!(labels[LABEL_VERSION], "0.1.3");
        assert_eq!(labels[LABEL_COMPONENT], "model-server");
        assert_eq!(labels[LABEL_MANAGED_BY], "lathe");

        let ds = d.spec.as_ref().unwrap();
        assert_eq!(ds.replicas, Some(2));
        let selector = ds.selector.match_labels.as_ref().unwrap();
        assert!(
            !selector.contains_key(LABEL_VERSION),
            "the selector is immutable: no version in it"
        );
        let pod_labels = ds
            .template
            .metadata
            .as_ref()
            .unwrap()
            .labels
            .as_ref()
            .unwrap();
        for (k, v) in selector {
            assert_eq!(
                pod_labels.get(k),
                Some(v),
                "the selector must match the pod labels"
            );
        }
        assert_eq!(pod_labels, labels);

        let pod = ds.template.spec.as_ref().unwrap();
        check_pod_level(
            pod.security_context.as_ref(),
            pod.automount_service_account_token,
            pod.termination_grace_period_seconds,
            pod.volumes.as_ref(),
        );
        assert_eq!(pod.containers.len(), 1);
        assert_eq!(pod.containers[0].name, "server");
        check_container(
            &pod.containers[0],
            "http",
            &IntOrString::String("http".to_owned()),
        );
    }
}
