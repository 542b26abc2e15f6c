//! `service.yaml`: the ClusterIP Service (k8s-openapi's type) in front of the Deployment's pods.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::K8sSpec;
use super::pod::{PORT_NAME, metadata, selector_labels};

const SERVICE_PORT: i32 = 80;

pub(super) fn service(spec: &K8sSpec) -> Service {
    Service {
        metadata: metadata(spec),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_owned()),
            selector: Some(selector_labels(spec)),
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.to_owned()),
                port: SERVICE_PORT,
                target_port: Some(IntOrString::String(PORT_NAME.to_owned())),
                protocol: Some("TCP".to_owned()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::k8s::test_support::*;
    use crate::bundle::k8s::{DEPLOYMENT_FILE, SERVICE_FILE};
    use k8s_openapi::api::apps::v1::Deployment;

    #[test]
    fn service_round_trip() {
        let files = files(&spec());
        let s: Service = yaml(&files, SERVICE_FILE);
        assert_eq!(s, service(&spec()));
        let ss = s.spec.as_ref().unwrap();
        assert_eq!(ss.type_.as_deref(), Some("ClusterIP"));
        let ports = ss.ports.as_ref().unwrap();
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].port, 80);
        assert_eq!(ports[0].name.as_deref(), Some("http"));
        assert_eq!(
            ports[0].target_port,
            Some(IntOrString::String("http".to_owned()))
        );

        let d: Deployment = yaml(&files, DEPLOYMENT_FILE);
        let ds = d.spec.unwrap();
        assert_eq!(
            ss.selector, ds.selector.match_labels,
            "Service and Deployment select the same pods"
        );
        let pod_labels = ds.template.metadata.unwrap().labels.unwrap();
        for (k, v) in ss.selector.as_ref().unwrap() {
            assert_eq!(pod_labels.get(k), Some(v));
        }
        // The Service's targetPort names a port the container has.
        let container_ports = ds.template.spec.unwrap().containers[0]
            .ports
            .clone()
            .unwrap();
        assert!(
            container_ports
                .iter()
                .any(|p| p.name.as_deref() == Some("http"))
        );
    }
}
