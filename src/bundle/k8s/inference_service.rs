//! `inferenceservice.yaml`: the same server as a KServe InferenceService speaking the Open
//! Inference Protocol v2, an alternative to the Deployment + Service. KServe has no type in
//! k8s-openapi, so the serde structs here hold exactly the fields written, checked against
//! kserve/kserve pkg/apis/serving/v1beta1 (predictor.go, component.go, predictor_custom.go) and
//! pkg/constants/constants.go.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EnvVar, PodSecurityContext, Volume};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::{Deserialize, Serialize};

use super::K8sSpec;
use super::pod::{TERMINATION_GRACE_SECONDS, container, metadata, pod_security_context, volumes};

/// KServe looks for its predictor container under this name (constants.InferenceServiceContainerName).
const KSERVE_CONTAINER_NAME: &str = "kserve-container";

/// Knative (KServe's serverless mode) accepts only `http1` or `h2c` as a container port name.
const KSERVE_PORT_NAME: &str = "http1";

const KSERVE_API_VERSION: &str = "serving.kserve.io/v1beta1";
const KSERVE_KIND: &str = "InferenceService";
/// KServe's annotation choosing how the InferenceService is deployed.
const KSERVE_DEPLOYMENT_MODE: &str = "serving.kserve.io/deploymentMode";
/// Plain Deployment + Service + HPA, no Knative or Istio: what an air-gapped cluster can run.
/// KServe 0.16 renamed it `Standard` and still accepts this name; older KServe and
/// OpenShift AI know only this one.
pub(super) const KSERVE_RAW_DEPLOYMENT: &str = "RawDeployment";
/// The env var through which a custom KServe predictor declares its protocol
/// (constants.CustomSpecProtocolEnvVarKey); without it KServe assumes v1.
const KSERVE_PROTOCOL_ENV: &str = "PROTOCOL";
const KSERVE_PROTOCOL_V2: &str = "v2";

/// A KServe InferenceService with a custom predictor container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceService {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: InferenceServiceSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceServiceSpec {
    pub predictor: PredictorSpec,
}

/// KServe's PredictorSpec inlines a core/v1 PodSpec and its ComponentExtensionSpec; a
/// predictor given by `containers` is a custom predictor. Only the fields used are here.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictorSpec {
    // ComponentExtensionSpec
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    // PodSpec (inline)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    pub containers: Vec<Container>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
}

pub(super) fn inference_service(spec: &K8sSpec) -> InferenceService {
    let mut metadata = metadata(spec);
    metadata.annotations = Some(BTreeMap::from([(
        KSERVE_DEPLOYMENT_MODE.to_owned(),
        KSERVE_RAW_DEPLOYMENT.to_owned(),
    )]));
    // Knative allows probes only on the serving port, and only by number.
    let port = IntOrString::Int(i32::from(spec.port));
    let env = vec![EnvVar {
        name: KSERVE_PROTOCOL_ENV.to_owned(),
        value: Some(KSERVE_PROTOCOL_V2.to_owned()),
        ..EnvVar::default()
    }];
    InferenceService {
        api_version: KSERVE_API_VERSION.to_owned(),
        kind: KSERVE_KIND.to_owned(),
        metadata,
        spec: InferenceServiceSpec {
            predictor: PredictorSpec {
                // A fixed replica count, as in the Deployment.
                min_replicas: Some(spec.replicas),
                max_replicas: Some(spec.replicas),
                automount_service_account_token: Some(false),
                termination_grace_period_seconds: Some(TERMINATION_GRACE_SECONDS),
                security_context: Some(pod_security_context()),
                containers: vec![container(
                    spec,
                    KSERVE_CONTAINER_NAME,
                    KSERVE_PORT_NAME,
                    &port,
                    Some(env),
                )],
                volumes: Some(volumes()),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::k8s::INFERENCE_SERVICE_FILE;
    use crate::bundle::k8s::pod::LABEL_VERSION;
    use crate::bundle::k8s::test_support::*;

    #[test]
    fn inference_service_round_trip() {
        let files = files(&spec());
        let i: InferenceService = yaml(&files, INFERENCE_SERVICE_FILE);
        assert_eq!(i, inference_service(&spec()));
        assert_eq!(i.api_version, "serving.kserve.io/v1beta1");
        assert_eq!(i.kind, "InferenceService");
        assert_eq!(i.metadata.name.as_deref(), Some("maint-logreg"));
        assert_eq!(i.metadata.labels.as_ref().unwrap()[LABEL_VERSION], "0.1.3");
        assert_eq!(
            i.metadata.annotations.as_ref().unwrap()["serving.kserve.io/deploymentMode"],
            "RawDeployment"
        );
        let p = &i.spec.predictor;
        assert_eq!((p.min_replicas, p.max_replicas), (Some(2), Some(2)));
        check_pod_level(
            p.security_context.as_ref(),
            p.automount_service_account_token,
            p.termination_grace_period_seconds,
            p.volumes.as_ref(),
        );
        assert_eq!(p.containers.len(), 1);
        let c = &p.containers[0];
        assert_eq!(c.name, "kserve-container");
        check_container(c, "http1", &IntOrString::Int(8080));
        let env = c.env.as_ref().unwrap();
        assert!(
            env.iter()
                .any(|e| e.name == "PROTOCOL" && e.value.as_deref() == Some("v2"))
        );

        // The YAML has the field names KServe reads.
        let text = &files[INFERENCE_SERVICE_FILE];
        for key in [
            "apiVersion: serving.kserve.io/v1beta1",
            "predictor:",
            "containers:",
            "minReplicas: 2",
        ] {
            assert!(text.contains(key), "{key} missing in\n{text}");
        }
    }
}
