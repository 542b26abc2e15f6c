//! Refuses a spec that the API server, kubectl or KServe would refuse — names, the version label,
//! the image reference, port, replicas and resource quantities — with the value quoted and a
//! hint.

use super::kustomization::ImageRef;
use super::{K8sSpec, MAX_NAME_LEN};
use crate::error::{Error, Result};

pub(super) fn validate(spec: &K8sSpec) -> Result<()> {
    validate_name(spec.name)?;
    validate_version(spec.version)?;
    validate_image(spec.image)?;
    if spec.port == 0 {
        return Err(Error::input(
            "the server port must be between 1 and 65535, not 0",
        ));
    }
    if spec.replicas < 1 {
        return Err(Error::input(format!(
            "the number of replicas must be at least 1, not {}",
            spec.replicas
        )));
    }
    for (what, request, limit) in [
        ("cpu", spec.cpu_request, spec.cpu_limit),
        ("memory", spec.memory_request, spec.memory_limit),
    ] {
        let req = quantity(what, "request", request)?;
        let lim = quantity(what, "limit", limit)?;
        if req > lim {
            return Err(Error::input(format!(
                "the {what} request '{request}' is more than the {what} limit '{limit}'"
            ))
            .hint("Kubernetes refuses a request above its limit: raise the limit or lower the request"));
        }
    }
    Ok(())
}

/// A DNS-1035 label (what Service names must be) of at most [`MAX_NAME_LEN`] characters.
fn validate_name(name: &str) -> Result<()> {
    let hint = || {
        format!(
            "a Kubernetes name is lowercase letters, digits and '-', starts with a letter, \
             ends with a letter or digit, and has at most {MAX_NAME_LEN} characters, e.g. 'maint-logreg'"
        )
    };
    let bad = |why: String| {
        Err(Error::input(format!("invalid Kubernetes name '{name}': {why}")).hint(hint()))
    };
    if name.is_empty() {
        return Err(Error::input("the Kubernetes name is empty").hint(hint()));
    }
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return bad(format!(
            "{len} characters, more than {MAX_NAME_LEN} (KServe's '<name>-predictor' must fit in 63)"
        ));
    }
    if let Some(c) = name.chars().find(char::is_ascii_uppercase) {
        return bad(format!("uppercase '{c}'; use lowercase"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return bad(format!(
            "'{c}' is not allowed (use '-' instead of '_', '.' or spaces)"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return bad("it must start with a letter".to_owned());
    }
    if name.ends_with('-') {
        return bad("it must end with a letter or digit".to_owned());
    }
    Ok(())
}

/// A label value: at most 63 of `A-Z a-z 0-9 - _ .`, starting and ending alphanumeric.
fn validate_version(version: &str) -> Result<()> {
    let hint = "the version becomes the label app.kubernetes.io/version: at most 63 letters, \
                digits, '-', '_' or '.', starting and ending with a letter or digit, e.g. '0.1.3'";
    let bad = |why: String| {
        Err(Error::input(format!(
            "invalid model version '{version}' for Kubernetes: {why}"
        ))
        .hint(hint))
    };
    if version.is_empty() {
        return Err(Error::input("the model version is empty").hint(hint));
    }
    if version.len() > 63 {
        return bad(format!("{} characters, more than 63", version.len()));
    }
    if let Some(c) = version
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return bad(format!("'{c}' is not allowed"));
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if !version.starts_with(alnum) || !version.ends_with(alnum) {
        return bad("it must start and end with a letter or digit".to_owned());
    }
    Ok(())
}

fn validate_image(image: &str) -> Result<()> {
    let hint = "give an image reference like 'registry.example.com/ml/maint-logreg:0.1.3'";
    if image.is_empty() {
        return Err(Error::input("the container image is empty").hint(hint));
    }
    if let Some(c) = image.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            Error::input(format!("invalid container image '{image}': contains {c:?}")).hint(hint),
        );
    }
    let r = ImageRef::parse(image);
    if r.name.is_empty() || r.name.ends_with('/') || r.tag == Some("") || r.digest == Some("") {
        return Err(Error::input(format!("invalid container image '{image}'")).hint(hint));
    }
    Ok(())
}

/// Checks a resource quantity and returns its value (in cores or bytes) for comparisons.
fn quantity(what: &str, kind: &str, text: &str) -> Result<f64> {
    parse_quantity(text).ok_or_else(|| {
        Error::input(format!(
            "invalid {what} {kind} '{text}': not a Kubernetes quantity"
        ))
        .hint(
            "write a non-negative number with an optional suffix: cpu like '100m', '0.5' or '2'; \
             memory like '64Mi', '1Gi' or '500M'",
        )
    })
}

/// The value of a non-negative Kubernetes quantity (`<digits>[.<digits>]<suffix>`, suffix
/// one of n u m k M G T P E, Ki Mi Gi Ti Pi Ei, or e<int>), or None if it is not one.
fn parse_quantity(text: &str) -> Option<f64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if !number.bytes().any(|b| b.is_ascii_digit()) || number.matches('.').count() > 1 {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            let power: i32 = exp[1..].parse().ok()?;
            10f64.powi(power)
        }
        _ => return None,
    };
    Some(value * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::k8s::manifests;
    use crate::bundle::k8s::test_support::*;

    fn err(spec: &K8sSpec) -> String {
        manifests(spec).unwrap_err().to_string()
    }

    #[test]
    fn invalid_names_refused() {
        let long = "a".repeat(64);
        let too_long_for_kserve = "a".repeat(MAX_NAME_LEN + 1);
        for (name, expect) in [
            ("Maint-LogReg", "uppercase 'M'"),
            ("maint_logreg", "'_' is not allowed"),
            ("maint.logreg", "'.' is not allowed"),
            (long.as_str(), "64 characters, more than 53"),
            (too_long_for_kserve.as_str(), "54 characters, more than 53"),
            ("1maint", "must start with a letter"),
            ("-maint", "must start with a letter"),
            ("maint-", "must end with a letter or digit"),
            ("", "name is empty"),
        ] {
            let e = manifests(&K8sSpec { name, ..spec() }).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(expect), "{name:?}: {msg}");
            assert!(
                msg.contains("hint: a Kubernetes name is lowercase"),
                "{msg}"
            );
            if !name.is_empty() {
                assert!(
                    msg.contains(&format!("'{name}'")),
                    "the name is quoted: {msg}"
                );
            }
        }
        assert!(
            manifests(&K8sSpec {
                name: &"a".repeat(MAX_NAME_LEN),
                ..spec()
            })
            .is_ok()
        );
        assert!(
            manifests(&K8sSpec {
                name: "m",
                ..spec()
            })
            .is_ok()
        );
    }

    #[test]
    fn other_invalid_values_refused() {
        assert!(
            err(&K8sSpec {
                version: "0.1.3+build.5",
                ..spec()
            })
            .contains("'+' is not allowed")
        );
        assert!(
            err(&K8sSpec {
                version: "",
                ..spec()
            })
            .contains("version is empty")
        );
        assert!(
            err(&K8sSpec {
                version: ".1",
                ..spec()
            })
            .contains("start and end")
        );
        assert!(
            err(&K8sSpec {
                image: "",
                ..spec()
            })
            .contains("image is empty")
        );
        assert!(
            err(&K8sSpec {
                image: "a b:1",
                ..spec()
            })
            .contains("invalid container image 'a b:1'")
        );
        assert!(
            err(&K8sSpec {
                image: "reg/x:",
                ..spec()
            })
            .contains("invalid container image")
        );
        assert!(err(&K8sSpec { port: 0, ..spec() }).contains("port"));
        assert!(
            err(&K8sSpec {
                replicas: 0,
                ..spec()
            })
            .contains("at least 1, not 0")
        );
        assert!(
            err(&K8sSpec {
                cpu_request: "100 m",
                ..spec()
            })
            .contains("invalid cpu request '100 m'")
        );
        assert!(
            err(&K8sSpec {
                memory_limit: "256MB",
                ..spec()
            })
            .contains("invalid memory limit '256MB'")
        );
        assert!(
            err(&K8sSpec {
                memory_limit: "-1Gi",
                ..spec()
            })
            .contains("invalid memory limit")
        );
        let e = err(&K8sSpec {
            cpu_request: "2",
            cpu_limit: "1500m",
            ..spec()
        });
        assert!(
            e.contains("cpu request '2' is more than the cpu limit '1500m'"),
            "{e}"
        );
        let e = err(&K8sSpec {
            memory_request: "1Gi",
            memory_limit: "1000Mi",
            ..spec()
        });
        assert!(e.contains("memory request '1Gi' is more than"), "{e}");
    }

    #[test]
    fn quantities() {
        for (text, value) in [
            ("1", 1.0),
            ("100m", 0.1),
            ("0.5", 0.5),
            (".5", 0.5),
            ("64Mi", 64.0 * 1024.0 * 1024.0),
            ("1Gi", 1024f64.powi(3)),
            ("500M", 5e8),
            ("1e3", 1e3),
            ("2E-3", 2e-3),
            ("1k", 1e3),
        ] {
            let got = parse_quantity(text).unwrap_or_else(|| panic!("{text}"));
            assert!(
                (got - value).abs() <= value * 1e-12,
                "{text}: {got} != {value}"
            );
        }
        for text in [
            "", "m", "1.2.3", "1 Mi", "1MB", "1Ki2", "-1", "+1", "1e", "abc", "1ei",
        ] {
            assert_eq!(parse_quantity(text), None, "{text}");
        }
    }
}
