//! Signing bundles with ed25519. Checksums catch damage; a signature over
//! `bundle.json` (which lists every file's SHA-256) catches someone who
//! rewrites the manifest too.
//!
//! Key files are one line of text after a header line, base64 of the raw 32
//! bytes: `lathe-ed25519-secret-key v1` / `lathe-ed25519-public-key v1`.
//! The signature file `bundle.json.sig` is base64 of the 64-byte signature.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::error::{Error, Result};

const SECRET_HEADER: &str = "lathe-ed25519-secret-key v1";
const PUBLIC_HEADER: &str = "lathe-ed25519-public-key v1";

pub struct SecretKey(SigningKey);

#[derive(Debug, Clone)]
pub struct PublicKey(VerifyingKey);

fn read_key_file(path: &Path, header: &str) -> Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(header) {
        return Err(Error::input(format!(
            "not a lathe key file: the first line is not '{header}'"
        ))
        .at(path)
        .line(1)
        .hint("`lathe bundle keygen NAME` makes NAME.key and NAME.pub"));
    }
    let b64 = lines.next().map(str::trim).unwrap_or_default();
    let bytes = STANDARD.decode(b64).map_err(|e| {
        Error::input(format!("the key is not base64: {e}"))
            .at(path)
            .line(2)
    })?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        Error::input(format!("an ed25519 key has 32 bytes, this one {}", b.len()))
            .at(path)
            .line(2)
    })
}

impl SecretKey {
    pub fn generate() -> Self {
        Self(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    pub fn read(path: &Path) -> Result<Self> {
        Ok(Self(SigningKey::from_bytes(&read_key_file(
            path,
            SECRET_HEADER,
        )?)))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The secret key file's text.
    pub fn to_text(&self) -> String {
        format!("{SECRET_HEADER}\n{}\n", STANDARD.encode(self.0.to_bytes()))
    }

    /// The signature of `bytes`, base64.
    pub fn sign(&self, bytes: &[u8]) -> String {
        STANDARD.encode(self.0.sign(bytes).to_bytes())
    }
}

impl PublicKey {
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = read_key_file(path, PUBLIC_HEADER)?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|e| Error::input(format!("not an ed25519 public key: {e}")).at(path))
    }

    pub fn to_text(&self) -> String {
        format!("{PUBLIC_HEADER}\n{}\n", STANDARD.encode(self.0.to_bytes()))
    }

    /// Check a base64 signature of `bytes`.
    pub fn verify(&self, bytes: &[u8], signature_b64: &str) -> Result<()> {
        let raw = STANDARD
            .decode(signature_b64)
            .map_err(|e| Error::input(format!("the signature is not base64: {e}")))?;
        let sig = Signature::from_slice(&raw)
            .map_err(|e| Error::input(format!("not an ed25519 signature: {e}")))?;
        self.0
            .verify(bytes, &sig)
            .map_err(|_| Error::input("the signature does not match bundle.json: it was changed after signing, or signed with another key"))
    }
}

/// Write a new key pair: `<stem>.key` (mode 0600) and `<stem>.pub`; refuses to overwrite.
pub fn keygen(stem: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
    let secret = stem.with_extension("key");
    let public = stem.with_extension("pub");
    for p in [&secret, &public] {
        if p.exists() {
            return Err(Error::usage(format!(
                "{} exists; not overwriting a key",
                p.display()
            )));
        }
    }
    let key = SecretKey::generate();
    write_private(&secret, key.to_text().as_bytes())?;
    std::fs::write(&public, key.public().to_text()).map_err(|e| Error::io(&public, &e))?;
    Ok((secret, public))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| Error::io(path, &e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(path, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_byte_does_not() {
        let k = SecretKey::generate();
        let sig = k.sign(b"bundle");
        assert!(k.public().verify(b"bundle", &sig).is_ok());
        assert!(k.public().verify(b"bundlE", &sig).is_err());
        assert!(
            SecretKey::generate()
                .public()
                .verify(b"bundle", &sig)
                .is_err()
        );
        assert!(k.public().verify(b"bundle", "not base64!").is_err());
    }
}
