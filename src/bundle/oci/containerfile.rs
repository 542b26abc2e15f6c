//! The Containerfile a team can build the same image from (`FROM scratch` by default), and the
//! `.containerignore` that keeps image archives out of the build context.

use std::collections::BTreeMap;

/// What a build from the bundle folder should leave out: image archives written into it.
/// Write it as `.containerignore` (podman, buildah) and `.dockerignore` (docker, kaniko).
pub const CONTAINERIGNORE: &str = "\
# Not part of the image: archives of it and leftovers of interrupted writes.
*.oci.tar
.*.oci.tar.tmp-*
";

/// The Containerfile; `{{…}}` are filled by [`containerfile`].
pub const CONTAINERFILE_TEMPLATE: &str = r#"# Container image for the lathe model bundle '{{name}}', version {{version}}.
# Build it from the bundle folder, which is the build context:
#
#   podman build -t localhost/{{name}}:{{version}} .
#   buildah bud -t localhost/{{name}}:{{version}} .
#   docker build -t {{name}}:{{version}} .       # BuildKit (the default) for COPY --chmod
#
# The base is the empty image: bin/lathe-serve is a static Linux binary and needs nothing
# else, so the build pulls nothing. For a shell to debug with, CA certificates or a company
# base image: --build-arg BASE=registry.example.com/ubi9/ubi-micro:latest
#
# The image runs as uid 65532, group 0. Every file is readable and every folder traversable
# by group 0 (and by others), so OpenShift's arbitrary uids, which are always in group 0,
# can read the bundle; nothing in it is writable.
ARG BASE=scratch
FROM ${BASE}

{{labels}}
COPY --chown=65532:0 --chmod=0555 . /bundle

WORKDIR /bundle
ENV PATH=/bundle/bin:/usr/local/bin:/usr/bin:/bin
USER 65532:0
EXPOSE 8080
ENTRYPOINT ["/bundle/bin/lathe-serve", "/bundle", "--host", "0.0.0.0", "--port", "8080"]
"#;

/// The bundle's Containerfile: `FROM ${BASE}` with `ARG BASE=scratch`, non-root
/// `USER 65532:0`, `EXPOSE 8080`, the labels, `COPY . /bundle` owned by 65532:0 and
/// readable by group 0, and the `lathe-serve` entrypoint. Values are quoted and escaped,
/// so a label cannot inject instructions.
pub fn containerfile(name: &str, version: &str, labels: &BTreeMap<String, String>) -> String {
    let mut label_lines = String::new();
    if !labels.is_empty() {
        let pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{}={}", quote_dockerfile(k), quote_dockerfile(v)))
            .collect();
        label_lines = format!("LABEL {}\n\n", pairs.join(" \\\n      "));
    }
    // Name and version sit in comments; keep them on one line whatever they hold.
    let one_line = |s: &str| s.replace(|c: char| c.is_control(), " ");
    CONTAINERFILE_TEMPLATE
        .replace("{{labels}}\n", &label_lines)
        .replace("{{name}}", &one_line(name))
        .replace("{{version}}", &one_line(version))
}

/// A Dockerfile double-quoted word: `\`, `"` and `$` escaped, control characters (which
/// would end the instruction) turned into spaces.
fn quote_dockerfile(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '\\' | '"' | '$' => {
                q.push('\\');
                q.push(c);
            }
            c if c.is_control() => q.push(' '),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::oci::oci_labels;

    #[test]
    fn dockerfile_quoting() {
        assert_eq!(
            quote_dockerfile(r#"a "b" $HOME \ x"#),
            r#""a \"b\" \$HOME \\ x""#
        );
        assert_eq!(quote_dockerfile("two\nlines"), "\"two lines\"");
    }

    #[test]
    fn containerfile_has_the_essentials() {
        let labels = oci_labels("maint-logreg", "0.1.3", "2026-11-25T12:00:00Z");
        let text = containerfile("maint-logreg", "0.1.3", &labels);
        for needle in [
            "ARG BASE=scratch\nFROM ${BASE}\n",
            "USER 65532:0\n",
            "EXPOSE 8080\n",
            "COPY --chown=65532:0 --chmod=0555 . /bundle\n",
            "LABEL \"org.opencontainers.image.created\"=\"2026-11-25T12:00:00Z\" \\\n      ",
            r#"ENTRYPOINT ["/bundle/bin/lathe-serve", "/bundle", "--host", "0.0.0.0", "--port", "8080"]"#,
            "podman build -t localhost/maint-logreg:0.1.3 .",
        ] {
            assert!(text.contains(needle), "missing {needle:?} in\n{text}");
        }
        assert!(!text.contains("{{"));
        let bare = containerfile("m", "1", &BTreeMap::new());
        assert!(!bare.contains("LABEL") && bare.contains("FROM ${BASE}\n\nCOPY"));
    }
}
