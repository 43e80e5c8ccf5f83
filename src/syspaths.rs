//! Paths by meaning. Every path of a spec is made canonical ([`canonical`]: no `.`, no
//! repeated or trailing `/`; `..` is refused) before any rule sees it, so `//etc`, `/./usr`
//! and `/etc/.` are `/etc` to every check. Then two tables:
//!
//! - [`PLACES`]: for each path a root process acts on (nginx's master appends to its logs,
//!   the playbook makes the ACME webroot, `prepare.sh` chowns volume directories and copies
//!   TLS files), the only directories its consumer may use: an allow-list, not a deny-list.
//! - [`TREES`], [`SHARED`], [`SCRATCH`]: the host's own directories, for what `-o` may not be
//!   (`write`), what a container's app may not own (`writable`), and where a container's
//!   tmpfs may not go.

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

/// The canonical form of an absolute path, lexically: repeated `/`, `.` components and a
/// trailing `/` removed. `None` for a relative path or one with a `..` component (what `..`
/// means depends on the symbolic links on the way, which a compiler cannot see).
pub(crate) fn canonical(p: &str) -> Option<String> {
    if !p.starts_with('/') {
        return None;
    }
    let mut out = String::with_capacity(p.len());
    for c in p.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if c == ".." {
            return None;
        }
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// A path property whose value a root process acts on, and so has an allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// nginx `logs access=`/`error=`: nginx's master (root) opens them for appending and
    /// writes client-controlled text into them.
    NginxLog,
    /// `acme webroot=`: the playbook makes it a 0755 directory (and so chmods one that exists).
    AcmeWebroot,
    /// TLS certificates, keys and CAs: nginx's master reads them as root; `prepare.sh` (root)
    /// copies the database's into the container's secrets.
    TlsMaterial,
    /// A compose volume's host directory: `prepare.sh` (root) creates it and gives it to the
    /// container's user, and compose binds it read-write into the container.
    VolumeDevice,
    /// An fstab tmpfs: mounted by the playbook at boot, over whatever is there.
    HostTmpfs,
    /// `aide { exclude … }`: a tree AIDE no longer watches, so a change there goes unseen.
    AideExclude,
}

/// One allow-list: where a [`Place`] may point.
pub(crate) struct PlaceRule {
    pub(crate) place: Place,
    /// What the value is, in a diagnostic.
    pub(crate) what: &'static str,
    /// The directories it may lie strictly inside; `{project}` is the project's name.
    pub(crate) inside: &'static [&'static str],
    /// The exact paths it may also be.
    pub(crate) exactly: &'static [&'static str],
    /// What its consumer does with it: why the list is short.
    pub(crate) because: &'static str,
}

/// The allow-lists, one row per [`Place`].
pub(crate) const PLACES: &[PlaceRule] = &[
    PlaceRule {
        place: Place::NginxLog,
        what: "an nginx log file",
        inside: &["/var/log/nginx"],
        exactly: &[],
        because: "nginx's master process (root) appends client-controlled text to it",
    },
    PlaceRule {
        place: Place::AcmeWebroot,
        what: "an ACME webroot",
        inside: &["/var/www", "/srv"],
        exactly: &[],
        because: "the playbook creates it as root with mode 0755, and would change the mode of a directory that exists",
    },
    PlaceRule {
        place: Place::TlsMaterial,
        what: "a TLS certificate, key or CA",
        inside: &[
            "/etc/ssl",
            "/etc/letsencrypt/live",
            "/etc/letsencrypt/archive",
            "/etc/pki/tls",
            "/etc/postgresql-common/certs",
        ],
        exactly: &[],
        because: "nginx reads it as root, and prepare.sh (root) copies the database's into the container's secrets",
    },
    PlaceRule {
        place: Place::VolumeDevice,
        what: "a volume's host directory",
        inside: &["/srv/{project}", "/opt/{project}", "/var/lib/{project}"],
        exactly: &[],
        because: "prepare.sh (root) gives it to the container's user, and compose binds it read-write into the container",
    },
    PlaceRule {
        place: Place::HostTmpfs,
        what: "a tmpfs mount point",
        // Not in /run: it is a tmpfs already, emptied at every boot, so a mount point there
        // does not exist when fstab is checked (`findmnt --verify` fails).
        inside: &[],
        exactly: &["/tmp", "/var/tmp", "/dev/shm"],
        because: "the playbook mounts an empty file system over it at every boot, hiding what was there",
    },
    PlaceRule {
        place: Place::AideExclude,
        what: "a path AIDE skips",
        // Data, never the system: /etc, /usr, /boot, the package database, AIDE's own and
        // pynoc's stacks stay watched.
        inside: &["/srv", "/opt", "/home", "/var/www", "/var/cache", "/var/spool", "/var/log", "/var/lib/{project}"],
        exactly: &[],
        because: "AIDE reports no change below it, whoever makes it",
    },
];

impl Place {
    pub(crate) fn rule(self) -> &'static PlaceRule {
        PLACES.iter().find(|r| r.place == self).expect("every place has a row")
    }
}

/// The directories a [`Place`] allows, with `{project}` filled in.
pub(crate) fn allowed(place: Place, project: &str) -> (Vec<String>, &'static [&'static str]) {
    let r = place.rule();
    (r.inside.iter().map(|i| i.replace("{project}", project)).collect(), r.exactly)
}

/// Whether a canonical path is one `place` allows: strictly inside one of its directories, or
/// one of its exact paths. A project without a name allows no project directory.
pub(crate) fn permitted(place: Place, p: &str, project: &str) -> bool {
    let (inside, exactly) = allowed(place, project);
    exactly.contains(&p)
        || inside.iter().any(|dir| (!dir.contains("//") && !dir.ends_with('/')) && p.starts_with(&format!("{dir}/")))
}

/// Whether one canonical path is the other or lies inside it, either way round.
pub(crate) fn overlap(a: &str, b: &str) -> bool {
    within(a, b) || within(b, a)
}

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

    /// Every spelling of a path is its canonical form, generated: repeated slashes, `.`
    /// components and trailing slashes in every position.
    #[test]
    fn every_spelling_is_canonical() {
        for p in ["/", "/etc", "/etc/ssh", "/var/log/nginx/access.log", "/app", "/opt/venv", "/run"] {
            let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
            for sep in ["/", "//", "/./", "/././", "///./"] {
                for tail in ["", "/", "/.", "//.", "/./"] {
                    let spelled = if parts.is_empty() {
                        format!("{sep}{tail}")
                    } else {
                        format!("{sep}{}{tail}", parts.join(sep))
                    };
                    assert_eq!(canonical(&spelled).as_deref(), Some(p), "{spelled}");
                }
            }
        }
        assert_eq!(canonical("etc"), None);
        assert_eq!(canonical("/var/www/../../etc"), None);
        assert_eq!(canonical("/a/.."), None);
    }

    #[test]
    fn places_allow_only_their_directories() {
        assert!(permitted(Place::NginxLog, "/var/log/nginx/access.log", "p"));
        assert!(!permitted(Place::NginxLog, "/var/log/nginx", "p"));
        assert!(!permitted(Place::NginxLog, "/var/log/nginx-evil/x", "p"));
        assert!(!permitted(Place::NginxLog, "/etc/ld.so.preload", "p"));
        assert!(permitted(Place::VolumeDevice, "/opt/p/data", "p"));
        assert!(!permitted(Place::VolumeDevice, "/opt/p", "p"));
        assert!(!permitted(Place::VolumeDevice, "/opt/q/data", "p"));
        assert!(!permitted(Place::VolumeDevice, "/home/admin", "p"));
        assert!(!permitted(Place::VolumeDevice, "/tmp/p", "p"));
        assert!(!permitted(Place::VolumeDevice, "/opt//x", ""));
        assert!(permitted(Place::HostTmpfs, "/tmp", "p") && !permitted(Place::HostTmpfs, "/tmp/x", "p"));
        assert!(!permitted(Place::HostTmpfs, "/run/app", "p") && !permitted(Place::HostTmpfs, "/run", "p"));
        assert!(!permitted(Place::HostTmpfs, "/home/admin", "p"));
        assert!(permitted(Place::TlsMaterial, "/etc/ssl/private/pg.key", "p"));
        assert!(!permitted(Place::TlsMaterial, "/etc/shadow", "p"));
        assert!(!permitted(Place::TlsMaterial, "/etc/letsencrypt/accounts/x/private_key.json", "p"));
        assert!(permitted(Place::AcmeWebroot, "/var/www/letsencrypt", "p"));
        assert!(!permitted(Place::AcmeWebroot, "/var/lib/postgresql", "p"));
        // No host tmpfs can cover a volume's directory or a login's home, whatever the
        // project is called: the two lists share no directory.
        for dir in ["/srv/p", "/opt/p", "/var/lib/p", "/home/p", "/root"] {
            assert!(!permitted(Place::HostTmpfs, dir, "p"), "{dir}");
        }
        assert!(overlap("/srv/a", "/srv/a/b") && overlap("/srv/a/b", "/srv/a") && !overlap("/srv/a", "/srv/ab"));
    }
}
