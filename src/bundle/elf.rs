//! Reading just enough of an ELF file to tell whether a server binary can run
//! in a `FROM scratch` linux/amd64 image (static, x86-64) and whether it
//! carries debug information (a debug build, which is never copied silently).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::{Error, Result};

/// The one command that builds the static, serve-only server by hand (`lathe`
/// embeds one; this is for another host, or a lathe built without it).
pub const BUILD_SERVER: &str = "RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release --locked \
     --target x86_64-unknown-linux-gnu --no-default-features --features serve --bin lathe-serve";

/// Check that `path` is a static x86-64 Linux executable (what a `FROM
/// scratch` image can run); the error says why not and how to build one.
pub fn check_static(path: &Path) -> Result<()> {
    let why = match elf_interpreter(path)? {
        Elf::StaticX86_64 => return Ok(()),
        Elf::Foreign => "is not a Linux executable".to_owned(),
        Elf::OtherMachine => "is not built for 64-bit x86 Linux".to_owned(),
        Elf::Dynamic(interp) => format!(
            "is dynamically linked (it needs '{interp}'), and a bundle's image has no system libraries"
        ),
    };
    Err(Error::usage(format!("the server binary {why}"))
        .at(path)
        .hint(format!("build the static server with: {BUILD_SERVER}")))
}

pub(crate) enum Elf {
    StaticX86_64,
    /// Not an ELF file at all (a script, a Mach-O or PE binary).
    Foreign,
    OtherMachine,
    /// Names its program interpreter (the dynamic loader).
    Dynamic(String),
}

/// Reads the ELF header and program headers: 64-bit little-endian x86-64, and whether a
/// `PT_INTERP` (dynamic loader) is named. A static-pie binary has none.
pub(crate) fn elf_interpreter(path: &Path) -> Result<Elf> {
    const PT_INTERP: u32 = 3;
    const EM_X86_64: u16 = 62;
    let rio = |e: io::Error| Error::io(path, &e);
    let mut file = File::open(path).map_err(rio)?;
    let mut ehdr = [0u8; 64];
    if read_full(&mut file, &mut ehdr).map_err(rio)? < ehdr.len() || ehdr[..4] != *b"\x7fELF" {
        return Ok(Elf::Foreign);
    }
    if ehdr[4] != 2 || ehdr[5] != 1 || u16::from_le_bytes([ehdr[18], ehdr[19]]) != EM_X86_64 {
        return Ok(Elf::OtherMachine);
    }
    let malformed = || Error::input("is not a valid ELF executable").at(path);
    let phoff = le_u64(&ehdr, 32).ok_or_else(malformed)?;
    let phentsize = usize::from(u16::from_le_bytes([ehdr[54], ehdr[55]]));
    let phnum = usize::from(u16::from_le_bytes([ehdr[56], ehdr[57]]));
    if phentsize < 56 {
        return Err(malformed());
    }
    let table_len = phentsize * phnum;
    if table_len > 1 << 20 {
        return Err(malformed());
    }
    let mut table = vec![0u8; table_len];
    file.seek(SeekFrom::Start(phoff)).map_err(rio)?;
    if read_full(&mut file, &mut table).map_err(rio)? < table.len() {
        return Err(malformed());
    }
    for ph in table.chunks_exact(phentsize) {
        if le_u32(ph, 0) != Some(PT_INTERP) {
            continue;
        }
        let offset = le_u64(ph, 8).ok_or_else(malformed)?;
        let len = le_u64(ph, 32).ok_or_else(malformed)?.min(256);
        let mut interp = vec![0u8; usize::try_from(len).unwrap_or(256)];
        file.seek(SeekFrom::Start(offset)).map_err(rio)?;
        let n = read_full(&mut file, &mut interp).map_err(rio)?;
        interp.truncate(n);
        let text = String::from_utf8_lossy(&interp);
        return Ok(Elf::Dynamic(text.trim_end_matches('\0').to_owned()));
    }
    Ok(Elf::StaticX86_64)
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Reads until `buf` is full or the end of the file; returns how much was read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether the ELF file has a `.debug_info` or `.debug_line` section: a debug
/// (or unstripped) build. Malformed section tables count as no debug info;
/// [`elf_interpreter`] is what refuses a file that is not an executable.
pub fn has_debug_info(path: &Path) -> Result<bool> {
    let rio = |e: io::Error| Error::io(path, &e);
    let mut file = File::open(path).map_err(rio)?;
    let mut ehdr = [0u8; 64];
    if read_full(&mut file, &mut ehdr).map_err(rio)? < ehdr.len() || ehdr[..4] != *b"\x7fELF" {
        return Ok(false);
    }
    let (Some(shoff), shentsize, shnum, shstrndx) = (
        le_u64(&ehdr, 40),
        usize::from(u16::from_le_bytes([ehdr[58], ehdr[59]])),
        usize::from(u16::from_le_bytes([ehdr[60], ehdr[61]])),
        usize::from(u16::from_le_bytes([ehdr[62], ehdr[63]])),
    ) else {
        return Ok(false);
    };
    if shentsize < 64 || shnum == 0 || shstrndx >= shnum || shentsize * shnum > 1 << 20 {
        return Ok(false);
    }
    let mut table = vec![0u8; shentsize * shnum];
    file.seek(SeekFrom::Start(shoff)).map_err(rio)?;
    if read_full(&mut file, &mut table).map_err(rio)? < table.len() {
        return Ok(false);
    }
    let section = |i: usize| &table[i * shentsize..(i + 1) * shentsize];
    let names = section(shstrndx);
    let (Some(names_at), Some(names_len)) = (le_u64(names, 24), le_u64(names, 32)) else {
        return Ok(false);
    };
    let mut strings = vec![0u8; usize::try_from(names_len.min(1 << 20)).unwrap_or(0)];
    file.seek(SeekFrom::Start(names_at)).map_err(rio)?;
    let n = read_full(&mut file, &mut strings).map_err(rio)?;
    strings.truncate(n);
    Ok((0..shnum).any(|i| {
        let at = le_u32(section(i), 0).and_then(|a| usize::try_from(a).ok());
        let name = at
            .and_then(|a| strings.get(a..))
            .map(|s| s.split(|&b| b == 0).next().unwrap_or_default());
        matches!(name, Some(b".debug_info" | b".debug_line"))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_has_debug_lines_and_a_text_file_has_none() {
        // The dev profile keeps line tables (Cargo.toml: debug = "line-tables-only").
        let me = std::env::current_exe().unwrap();
        assert!(has_debug_info(&me).unwrap(), "{}", me.display());
        let text = std::env::temp_dir().join(format!("lathe-elf-{}.txt", std::process::id()));
        std::fs::write(&text, "not an executable").unwrap();
        assert!(!has_debug_info(&text).unwrap());
        assert!(matches!(elf_interpreter(&text).unwrap(), Elf::Foreign));
        std::fs::remove_file(&text).unwrap();
    }
}
