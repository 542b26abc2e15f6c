//! Checks before anything is written: a DNS-safe name, a version that can be an image tag, a
//! non-root user, an RFC 3339 creation time, and an entrypoint that is a static x86-64 Linux
//! executable of the bundle.

use std::path::{Path, PathBuf};

use super::tree::{Entry, normalise};
use super::{DEFAULT_USER, ImageSpec};
use crate::bundle::elf::{Elf, elf_interpreter};
use crate::error::{Error, Result};

pub(super) fn validate(spec: &ImageSpec) -> Result<()> {
    let name = spec.name;
    let dns = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !dns {
        return Err(
            Error::input(format!("the image name '{name}' is not DNS-safe")).hint(
                "use lowercase letters, digits and '-', starting and ending with a letter or \
             digit, at most 63 characters",
            ),
        );
    }
    let v = spec.version;
    let tag = !v.is_empty()
        && v.len() <= 128
        && !v.starts_with(['.', '-'])
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !tag {
        let hint = if v.contains('+') {
            "image tags cannot hold '+': drop the build metadata or write it with '-'"
        } else {
            "an image tag is letters, digits, '_', '.' and '-', at most 128 characters"
        };
        return Err(Error::input(format!("the version '{v}' cannot be an image tag")).hint(hint));
    }
    let Some(program) = spec.entrypoint.first() else {
        return Err(Error::internal("the image entrypoint is empty"));
    };
    if !program.starts_with("/bundle/") {
        return Err(Error::input(format!(
            "the entrypoint '{program}' is not a file of the bundle"
        ))
        .hint("the image holds only /bundle; point the entrypoint at /bundle/bin/lathe-serve"));
    }
    let user = spec.user.split(':').next().unwrap_or_default();
    if user.is_empty() || spec.user.chars().any(char::is_whitespace) {
        return Err(
            Error::input(format!("the image user '{}' is not valid", spec.user))
                .hint(format!("give uid:gid, e.g. '{DEFAULT_USER}'")),
        );
    }
    if user == "0" || user == "root" {
        return Err(Error::input(format!(
            "the image would run as root (user '{}')",
            spec.user
        ))
        .hint(format!("use a non-root uid, e.g. '{DEFAULT_USER}'")));
    }
    if spec.exposed_port == 0 {
        return Err(Error::input("the exposed port is 0").hint("use e.g. 8080"));
    }
    if !is_rfc3339(spec.created) {
        return Err(Error::input(format!(
            "the creation time '{}' is not an RFC 3339 time",
            spec.created
        ))
        .hint("write it like '2026-11-25T12:00:00Z'"));
    }
    if let Some(key) = spec
        .labels
        .keys()
        .find(|k| k.is_empty() || k.contains(char::is_whitespace))
    {
        return Err(Error::input(format!(
            "the label name '{key}' is empty or has spaces"
        )));
    }
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, as Go's `time.RFC3339Nano` parses it.
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let num = |from: usize, len: usize, max: u32| -> bool {
        b.get(from..from + len).is_some_and(|d| {
            d.iter().all(u8::is_ascii_digit)
                && d.iter().fold(0u32, |n, &c| n * 10 + u32::from(c - b'0')) <= max
        })
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let date_time = num(0, 4, 9999)
        && at(4, b'-')
        && num(5, 2, 12)
        && at(7, b'-')
        && num(8, 2, 31)
        && at(10, b'T')
        && num(11, 2, 23)
        && at(13, b':')
        && num(14, 2, 59)
        && at(16, b':')
        && num(17, 2, 60);
    if !date_time {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let digits = b
            .get(i..)
            .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count());
        if digits == 0 {
            return false;
        }
        i += digits;
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            num(i + 1, 2, 23) && at(i + 3, b':') && num(i + 4, 2, 59) && i + 6 == b.len()
        }
        _ => false,
    }
}

/// The entrypoint must be a static x86-64 Linux executable of the bundle: the image has no
/// loader, no libc and no shell. Returns its path relative to the bundle.
pub(super) fn check_entrypoint(
    spec: &ImageSpec,
    root: &Path,
    entries: &[Entry],
) -> Result<PathBuf> {
    let program = spec
        .entrypoint
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let inside = program.strip_prefix("/bundle/").unwrap_or(program);
    let rel = normalise(Path::new(inside))
        .ok_or_else(|| Error::input(format!("the entrypoint '{program}' is not a file path")))?;
    if !entries.iter().any(|e| e.rel == rel && e.size.is_some()) {
        return Err(
            Error::input(format!("the entrypoint '{program}' is not in the bundle"))
                .at(root)
                .hint(format!(
                    "the bundle should hold '{}'; export it again",
                    rel.display()
                )),
        );
    }
    let path = root.join(&rel);
    match elf_interpreter(&path)? {
        Elf::StaticX86_64 => Ok(rel),
        Elf::Foreign => Err(Error::input(format!(
            "the entrypoint '{program}' is not a Linux executable"
        ))
        .at(path)
        .hint(
            "the image runs linux/amd64: bundle the x86_64-unknown-linux-gnu build of lathe-serve",
        )),
        Elf::OtherMachine => Err(Error::input(format!(
            "the entrypoint '{program}' is not built for 64-bit x86 Linux"
        ))
        .at(path)
        .hint(
            "the image runs linux/amd64: bundle the x86_64-unknown-linux-gnu build of lathe-serve",
        )),
        Elf::Dynamic(interp) => Err(Error::input(format!(
            "the entrypoint '{program}' is dynamically linked (it needs '{interp}'), \
             but the image has no system libraries"
        ))
        .at(path)
        .hint("export the bundle again with lathe on x86-64 Linux (it carries a static server)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::bundle::oci::default_entrypoint;

    #[test]
    fn rfc3339_times() {
        for ok in [
            "2026-11-25T12:00:00Z",
            "2026-11-25T12:00:00.123Z",
            "2026-11-25T12:00:00+01:00",
        ] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "2026-11-25",
            "2026-11-25 12:00:00Z",
            "2026-13-25T12:00:00Z",
            "2026-11-25T12:00:00",
            "2026-11-25T12:00:00.Z",
            "2026-11-25T12:00:00+1:00",
            "2026-11-25T12:00:00Zx",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn validation_messages() {
        let spec = |name: &'static str, version: &'static str, user: &'static str| ImageSpec {
            bundle_dir: Path::new("."),
            exclude: &[],
            name,
            version,
            entrypoint: default_entrypoint(8080),
            user,
            exposed_port: 8080,
            labels: BTreeMap::new(),
            created: "2026-11-25T12:00:00Z",
        };
        let message = |s: ImageSpec| {
            validate(&s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(message(spec("maint-logreg", "0.1.3", "65532:0")), "");
        assert!(message(spec("Maint_LogReg", "0.1.3", "65532:0")).contains("'Maint_LogReg'"));
        assert!(message(spec("m", "0.1.3+build.7", "65532:0")).contains("'+'"));
        assert!(message(spec("m", "0.1.3", "0:0")).contains("root"));
        assert!(message(spec("m", "0.1.3", "root")).contains("root"));
    }
}
