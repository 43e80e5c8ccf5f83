//! Reading a spec from disk. Users run pynoc on pull requests they did not write: the spec
//! path may be a symbolic link to `/proc/self/environ` (the CI's secrets printed in a
//! diagnostic), `/dev/zero` (read until the OOM killer comes) or a FIFO (a hang). Only a
//! regular file on a real file system, within [`MAX_SPEC_BYTES`], is read.

use std::io::Read;

use camino::Utf8Path;
use rustix::fs::{FileType, Mode, OFlags};

/// The largest spec pynoc reads: 64 MiB (a spec of 100,000 firewall rules and audit watches
/// is 13 MiB).
pub const MAX_SPEC_BYTES: u64 = 64 << 20;

/// File systems whose "regular files" are the kernel's: procfs, sysfs, debugfs, securityfs,
/// tracefs, configfs, efivarfs, cgroup.
const PSEUDO_FS: &[u64] =
    &[0x9fa0, 0x6265_6572, 0x6462_6720, 0x7363_6673, 0x7472_6163, 0x6265_6570, 0xde5e_81e4, 0x2762_5f26, 0x6367_7270];

/// The bytes of the spec at `path`, or why it was refused. A symbolic link is followed to
/// what it names, which must be a regular file of at most [`MAX_SPEC_BYTES`] on an ordinary
/// file system. The file is opened without blocking (a FIFO cannot hang the open) and
/// checked through the open descriptor, so what is checked is what is read.
pub fn read_spec(path: &Utf8Path) -> Result<Vec<u8>, String> {
    let fd = rustix::fs::open(path.as_std_path(), OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| std::io::Error::from(e).to_string())?;
    let st = rustix::fs::fstat(&fd).map_err(|e| std::io::Error::from(e).to_string())?;
    let kind = FileType::from_raw_mode(st.st_mode);
    if kind != FileType::RegularFile {
        return Err(format!("not a regular file (a {}); a spec is a plain file", describe(kind)));
    }
    let fs = rustix::fs::fstatfs(&fd).map_err(|e| std::io::Error::from(e).to_string())?;
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    let magic = fs.f_type as u64;
    if PSEUDO_FS.contains(&magic) {
        return Err("a file of the kernel's (/proc, /sys), not a spec".into());
    }
    if st.st_size as u64 > MAX_SPEC_BYTES {
        return Err(format!("larger than {} MiB; a spec is smaller", MAX_SPEC_BYTES >> 20));
    }
    let mut bytes = Vec::with_capacity(st.st_size as usize);
    let file = std::fs::File::from(fd);
    file.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(format!("larger than {} MiB; a spec is smaller", MAX_SPEC_BYTES >> 20));
    }
    Ok(bytes)
}

fn describe(kind: FileType) -> &'static str {
    match kind {
        FileType::Directory => "directory",
        FileType::Fifo => "FIFO",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Socket => "socket",
        _ => "special file",
    }
}
