//! The host's own directories, in one table that every path check reads: what `-o` may not
//! be (`write`), what a container's app may not own or get bind-mounted (`writable`,
//! `device=`), and where no tmpfs may go (fstab, compose).

/// The system's own trees: the directory and everything inside it belong to the system.
const TREES: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/proc",
    "/run",
    "/sbin",
    "/sys",
    "/usr",
    "/var/backups",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/mail",
    "/var/run",
    "/var/spool",
];

/// Roots that hold other people's files: the directory itself is shared, a folder inside
/// it is someone's own (a project checked out under /root, a tmpfs on /tmp's behalf).
const SHARED: &[&str] = &["/", "/home", "/media", "/mnt", "/opt", "/root", "/srv", "/tmp", "/var", "/var/tmp"];

/// Scratch directories a tmpfs is meant for (and folders inside /run, each a service's own).
const SCRATCH: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// `p` without trailing slashes, `/` for the root.
fn trimmed(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() { "/" } else { t }
}

/// Whether `p` is `dir` or lies inside it.
pub(crate) fn within(p: &str, dir: &str) -> bool {
    let p = trimmed(p);
    p == dir || p.starts_with(&format!("{dir}/"))
}

/// The system directory an absolute, normalized path is (a shared root) or lies in (a
/// system tree), if any.
pub(crate) fn system_dir(p: &str) -> Option<&'static str> {
    let p = trimmed(p);
    TREES.iter().find(|t| within(p, t)).or_else(|| SHARED.iter().find(|r| p == **r)).copied()
}

/// The directory a tmpfs on `p` would hide, if it is not scratch space.
pub(crate) fn tmpfs_hides(p: &str) -> Option<&'static str> {
    let p = trimmed(p);
    if SCRATCH.contains(&p) || (p.starts_with("/run/") && p != "/run") {
        return None;
    }
    system_dir(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_shared_roots_and_scratch() {
        assert_eq!(system_dir("/etc/ssh/"), Some("/etc"));
        assert_eq!(system_dir("/"), Some("/"));
        assert_eq!(system_dir("/root"), Some("/root"));
        assert_eq!(system_dir("/root/repo/out"), None);
        assert_eq!(system_dir("/var/run/docker.sock"), Some("/var/run"));
        assert_eq!(system_dir("/srv/app"), None);
        assert_eq!(tmpfs_hides("/tmp"), None);
        assert_eq!(tmpfs_hides("/dev/shm"), None);
        assert_eq!(tmpfs_hides("/run/app"), None);
        assert_eq!(tmpfs_hides("/run"), Some("/run"));
        assert_eq!(tmpfs_hides("/dev"), Some("/dev"));
        assert_eq!(tmpfs_hides("/var/lib/postgresql"), Some("/var/lib"));
    }
}
