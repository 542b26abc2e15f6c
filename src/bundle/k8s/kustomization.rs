//! `kustomization.yaml` (kustomize.config.k8s.io/v1beta1): lists the Deployment and Service, lets
//! a team retarget the image (`kustomize edit set image`) and add its own labels. kustomize has
//! no type in k8s-openapi, so the serde structs here hold exactly the fields written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::pod::{LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY};
use super::{DEPLOYMENT_FILE, K8sSpec, SERVICE_FILE};

const KUSTOMIZE_API_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
const KUSTOMIZE_KIND: &str = "Kustomization";

/// A kustomization.yaml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kustomization {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<KustomizeImage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<KustomizeLabels>,
}

/// An entry of `labels`: added to every resource's metadata, and with `includeTemplates`
/// to pod templates; `includeSelectors: false` leaves the immutable selectors alone
/// (`commonLabels`, now deprecated, always rewrote them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeLabels {
    pub pairs: BTreeMap<String, String>,
    #[serde(default)]
    pub include_selectors: bool,
    #[serde(default)]
    pub include_templates: bool,
}

/// An entry of `images`: containers whose image name is `name` get `newName`, `newTag`
/// or `digest` instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizeImage {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

pub(super) fn kustomization(spec: &K8sSpec, image: &ImageRef) -> Kustomization {
    Kustomization {
        api_version: KUSTOMIZE_API_VERSION.to_owned(),
        kind: KUSTOMIZE_KIND.to_owned(),
        resources: vec![DEPLOYMENT_FILE.to_owned(), SERVICE_FILE.to_owned()],
        images: vec![KustomizeImage {
            name: image.name.to_owned(),
            new_name: Some(image.name.to_owned()),
            new_tag: image.tag.map(str::to_owned),
            digest: image.digest.map(str::to_owned),
        }],
        // Already on every resource; the entry is where a team adds its own labels.
        labels: vec![KustomizeLabels {
            pairs: BTreeMap::from([
                (LABEL_NAME.to_owned(), spec.name.to_owned()),
                (LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned()),
            ]),
            include_selectors: false,
            include_templates: true,
        }],
    }
}

/// An image reference split the way kustomize matches it: `name[:tag][@digest]`, where a
/// `:` before the last `/` belongs to a registry port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ImageRef<'a> {
    pub(super) name: &'a str,
    pub(super) tag: Option<&'a str>,
    pub(super) digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub(super) fn parse(image: &'a str) -> Self {
        let (rest, digest) = match image.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (image, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[last_slash..].rfind(':') {
            Some(i) => {
                let colon = last_slash + i;
                Self {
                    name: &rest[..colon],
                    tag: Some(&rest[colon + 1..]),
                    digest,
                }
            }
            None => Self {
                name: rest,
                tag: None,
                digest,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::k8s::KUSTOMIZATION_FILE;
    use crate::bundle::k8s::test_support::*;

    #[test]
    fn kustomization_round_trip() {
        let files = files(&spec());
        let k: Kustomization = yaml(&files, KUSTOMIZATION_FILE);
        assert_eq!(k, kustomization(&spec(), &ImageRef::parse(spec().image)));
        assert_eq!(k.api_version, "kustomize.config.k8s.io/v1beta1");
        assert_eq!(k.kind, "Kustomization");
        assert_eq!(
            k.resources,
            ["deployment.yaml", "service.yaml"],
            "the InferenceService is an alternative"
        );
        assert_eq!(k.images.len(), 1);
        assert_eq!(k.images[0].name, "registry.example.com/ml/maint-logreg");
        assert_eq!(k.images[0].new_tag.as_deref(), Some("0.1.3"));
        assert_eq!(k.labels.len(), 1);
        assert!(!k.labels[0].include_selectors, "selectors are immutable");
        assert_eq!(k.labels[0].pairs[LABEL_NAME], "maint-logreg");
        assert!(
            files[KUSTOMIZATION_FILE]
                .contains("kustomize edit set image registry.example.com/ml/maint-logreg=")
        );
    }

    #[test]
    fn image_references() {
        let cases = [
            ("localhost/m:0.1.3", ("localhost/m", Some("0.1.3"), None)),
            ("registry:5000/ml/m", ("registry:5000/ml/m", None, None)),
            (
                "registry:5000/ml/m:2",
                ("registry:5000/ml/m", Some("2"), None),
            ),
            ("m", ("m", None, None)),
            ("reg/m@sha256:abcd", ("reg/m", None, Some("sha256:abcd"))),
            (
                "reg/m:1@sha256:abcd",
                ("reg/m", Some("1"), Some("sha256:abcd")),
            ),
        ];
        for (image, (name, tag, digest)) in cases {
            assert_eq!(
                ImageRef::parse(image),
                ImageRef { name, tag, digest },
                "{image}"
            );
        }
        // A digest goes to the kustomization too.
        let files = files(&K8sSpec {
            image: "reg/m@sha256:abcd",
            ..spec()
        });
        let k: Kustomization = yaml(&files, KUSTOMIZATION_FILE);
        assert_eq!(k.images[0].digest.as_deref(), Some("sha256:abcd"));
        assert_eq!(k.images[0].new_tag, None);
    }
}
