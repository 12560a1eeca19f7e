//! A deterministic ustar archive (POSIX.1-1988 `ustar`), written and read strictly.
//!
//! The bundle is a tar file so that `tar -xf` opens it anywhere; it is written by this
//! module rather than a tar crate because a verifier must read *exactly one* form: every
//! header field is fixed (mode 0644, owner 0/0, mtime 0, no user or group names), only
//! regular files, names of at most 100 ASCII characters, contents padded with zero
//! bytes, and two zero blocks at the end. [`read`] parses an archive, writes it again
//! with [`write`](fn@write) and requires the same bytes, so a changed byte in a header, a padding
//! or after the end is found and placed (which file, header or contents).

use std::fmt;

/// The tar block size.
const BLOCK: usize = 512;
/// The largest file in a bundle (an entry is at most 16 KiB; a proof or note far less).
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The largest number of files in a bundle.
pub const MAX_FILES: usize = 200_000;

/// One file of an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    /// Its path inside the archive (`/`-separated, relative, ASCII).
    pub path: String,
    /// Its contents.
    pub bytes: Vec<u8>,
}

/// Why an archive is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TarError {
    #[error("the archive is cut short at byte {offset} (inside {place})")]
    Truncated { offset: usize, place: String },
    #[error("the header at byte {offset} is not a ustar header of a regular file: {problem}")]
    BadHeader {
        offset: usize,
        problem: &'static str,
    },
    #[error("the header of {path} has a wrong checksum")]
    Checksum { path: String },
    #[error("the path at byte {offset} is not allowed: {problem}")]
    BadPath {
        offset: usize,
        problem: &'static str,
    },
    #[error("{path} is {size} bytes; at most {max} are accepted")]
    TooLarge {
        path: String,
        size: usize,
        max: usize,
    },
    #[error("the archive holds more than {max} files")]
    TooManyFiles { max: usize },
    #[error("{path} occurs twice in the archive")]
    Duplicate { path: String },
    #[error(
        "the archive was changed at byte {offset}, in {place}: it is not the form the hub's tools write"
    )]
    NotCanonical { offset: usize, place: String },
}

/// Checks a path: relative, ASCII letters, digits and `._-/`, no empty, `.` or `..`
/// component, at most 100 bytes (the ustar name field without a prefix).
pub fn check_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() || path.len() > 100 {
        return Err("it is empty or longer than 100 characters");
    }
    if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
    {
        return Err("only ASCII letters, digits and . _ - / are allowed");
    }
    if path
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err("it has an empty, '.' or '..' component");
    }
    Ok(())
}

/// Writes `value` as `width - 1` zero-padded octal digits and a NUL (the last byte,
/// already zero).
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len().saturating_sub(1);
    let text = format!("{value:0digits$o}");
    for (b, t) in field.iter_mut().zip(text.bytes().take(digits)) {
        *b = t;
    }
}

// Constant offsets into a fixed 512-byte block (the ustar layout).
#[allow(clippy::indexing_slicing)]
fn header(path: &str, size: usize) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    for (b, p) in h.iter_mut().zip(path.bytes().take(100)) {
        *b = p;
    }
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size as u64);
    octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    octal(&mut h[329..337], 0);
    octal(&mut h[337..345], 0);
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

/// Writes `files` as a ustar archive, in the order given. Paths must pass
/// [`check_path`] and sizes [`MAX_FILE_BYTES`] (the bundle's writer only makes such).
pub fn write(files: &[File]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in files {
        out.extend_from_slice(&header(&f.path, f.bytes.len()));
        out.extend_from_slice(&f.bytes);
        let pad = (BLOCK - f.bytes.len() % BLOCK) % BLOCK;
        out.resize(out.len() + pad, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    out
}

fn parse_octal(field: &[u8]) -> Option<usize> {
    let text = field.split(|&b| b == 0 || b == b' ').next()?;
    if text.is_empty() || !text.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    usize::from_str_radix(std::str::from_utf8(text).ok()?, 8).ok()
}

/// Where in the archive a byte offset lies, for a message.
struct Place<'a> {
    files: &'a [File],
}

impl Place<'_> {
    fn of(&self, offset: usize) -> String {
        let mut at = 0usize;
        for f in self.files {
            if offset < at + BLOCK {
                return format!("the header of {}", f.path);
            }
            at += BLOCK;
            let padded = f.bytes.len().div_ceil(BLOCK) * BLOCK;
            if offset < at + f.bytes.len() {
                return format!("the contents of {}", f.path);
            }
            if offset < at + padded {
                return format!("the padding after {}", f.path);
            }
            at += padded;
        }
        if offset < at + 2 * BLOCK {
            "the end-of-archive blocks".to_owned()
        } else {
            "bytes after the end of the archive".to_owned()
        }
    }
}

impl fmt::Display for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} bytes)", self.path, self.bytes.len())
    }
}

/// Reads an archive [`write`](fn@write) made, refusing anything else (see the module doc).
pub fn read(data: &[u8]) -> Result<Vec<File>, TarError> {
    let mut files: Vec<File> = Vec::new();
    let mut at = 0usize;
    loop {
        let Some(block) = data.get(at..at + BLOCK) else {
            return Err(TarError::Truncated {
                offset: data.len(),
                place: "a header".to_owned(),
            });
        };
        if block.iter().all(|&b| b == 0) {
            break;
        }
        if files.len() >= MAX_FILES {
            return Err(TarError::TooManyFiles { max: MAX_FILES });
        }
        if block.get(257..263) != Some(b"ustar\0".as_slice()) {
            return Err(TarError::BadHeader {
                offset: at,
                problem: "no ustar magic",
            });
        }
        if block.get(156) != Some(&b'0') {
            return Err(TarError::BadHeader {
                offset: at,
                problem: "not a regular file",
            });
        }
        let name = block.get(..100).unwrap_or_default();
        let name_len = name.iter().position(|&b| b == 0).unwrap_or(100);
        let path = std::str::from_utf8(name.get(..name_len).unwrap_or_default())
            .map_err(|_| TarError::BadPath {
                offset: at,
                problem: "not ASCII",
            })?
            .to_owned();
        check_path(&path).map_err(|problem| TarError::BadPath {
            offset: at,
            problem,
        })?;
        let size =
            parse_octal(block.get(124..136).unwrap_or_default()).ok_or(TarError::BadHeader {
                offset: at,
                problem: "the size is not an octal number",
            })?;
        if size > MAX_FILE_BYTES {
            return Err(TarError::TooLarge {
                path,
                size,
                max: MAX_FILE_BYTES,
            });
        }
        let stored_sum = parse_octal(block.get(148..156).unwrap_or_default());
        let sum: usize = block
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    usize::from(b)
                }
            })
            .sum();
        if stored_sum != Some(sum) {
            return Err(TarError::Checksum { path });
        }
        if files.iter().any(|f| f.path == path) {
            return Err(TarError::Duplicate { path });
        }
        let start = at + BLOCK;
        let Some(bytes) = data.get(start..start + size) else {
            return Err(TarError::Truncated {
                offset: data.len(),
                place: format!("the contents of {path}"),
            });
        };
        files.push(File {
            path,
            bytes: bytes.to_vec(),
        });
        at = start + size.div_ceil(BLOCK) * BLOCK;
    }
    // The one form: writing what was read gives the same bytes.
    let again = write(&files);
    if again != data {
        let offset = again
            .iter()
            .zip(data)
            .position(|(a, b)| a != b)
            .unwrap_or(again.len().min(data.len()));
        let place = Place { files: &files }.of(offset);
        return Err(TarError::NotCanonical { offset, place });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<File> {
        vec![
            File {
                path: "LEESMIJ.txt".into(),
                bytes: b"hallo\n".to_vec(),
            },
            File {
                path: "entries/00000000000000000003.json".into(),
                bytes: vec![b'x'; 700],
            },
        ]
    }

    #[test]
    fn an_archive_reads_back_as_written() {
        let data = write(&sample());
        assert_eq!(data.len() % BLOCK, 0);
        assert_eq!(read(&data).unwrap(), sample());
    }

    #[test]
    fn every_changed_byte_is_found_and_placed() {
        let data = write(&sample());
        // Contents are any bytes (the manifest's hashes guard them); everything else
        // is fixed.
        let contents = [BLOCK..BLOCK + 6, 3 * BLOCK..3 * BLOCK + 700];
        for offset in 0..data.len() {
            let mut bad = data.clone();
            bad[offset] ^= 0x01;
            match read(&bad) {
                Ok(files) => {
                    assert!(
                        contents.iter().any(|r| r.contains(&offset)),
                        "byte {offset}"
                    );
                    assert_ne!(files, sample());
                }
                Err(e) => {
                    assert!(
                        !contents.iter().any(|r| r.contains(&offset)),
                        "byte {offset}: {e}"
                    );
                }
            }
        }
        let mut padded = data.clone();
        padded[BLOCK + 10] = 1; // in the padding after LEESMIJ.txt
        let e = read(&padded).unwrap_err();
        assert_eq!(
            e,
            TarError::NotCanonical {
                offset: BLOCK + 10,
                place: "the padding after LEESMIJ.txt".into()
            }
        );
        let mut longer = data.clone();
        longer.push(0);
        assert!(matches!(
            read(&longer).unwrap_err(),
            TarError::NotCanonical { place, .. } if place == "bytes after the end of the archive"
        ));
    }

    #[test]
    fn paths_that_escape_or_surprise_are_refused() {
        for bad in ["", "../x", "a//b", "/etc/passwd", "a/./b", "é", "a b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
        check_path("keys/hub.vkey").unwrap();
    }
}
