//! One writer per output directory: an exclusive lock held for the life of a command.
//!
//! The lock of directory `P/NAME` is the file `P/.NAME.lock`, beside the directory (so the
//! directory's own contents never change because of it), locked with `flock` through std's
//! [`File::try_lock`]. A second `marketsim` that wants to write the same directory finds the
//! lock taken and is refused at once; it never waits.
//!
//! ```text
//! acquire: open-or-create P/.NAME.lock ─try_lock─▶ taken? refuse
//!          └─ still the file at P/.NAME.lock? (same inode) ─no─▶ retry
//! release: unlink P/.NAME.lock while still locked ─▶ close (unlocks)
//! ```
//!
//! Only a holder unlinks the lock file, and only while holding it; an acquirer that locked a
//! file just unlinked by its previous holder sees that the path now names another file (or
//! none) and starts again. A process killed while holding the lock leaves the file behind,
//! unlocked: the next writer takes it over. Directory paths are resolved first (symbolic
//! links, `..`), so two spellings of one directory share one lock. On a file system that
//! cannot lock files (some network and cluster file systems), a warning says so and the
//! command goes on unprotected.

use super::atomic;
use std::fs::{self, File, TryLockError};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The exclusive right to write one output directory; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    /// Held open (and so locked) until dropped, after the lock file is unlinked.
    _file: File,
    path: PathBuf,
    dir: PathBuf,
}

/// The absolute, resolved form of `dir` (which need not exist yet; its parent is created):
/// symbolic links and `..` resolved, so that two spellings of one directory give one path.
pub fn resolve(dir: &Path) -> io::Result<PathBuf> {
    if dir.exists() {
        return fs::canonicalize(dir).map_err(|e| atomic::at(dir, "cannot resolve this path", e));
    }
    let name = dir.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: expected a directory name", dir.display()),
        )
    })?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Some(file) = parent
        .ancestors()
        .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()))
    {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!(
                "{}: cannot create this directory: {} is a file, not a directory",
                dir.display(),
                file.display()
            ),
        ));
    }
    atomic::create_dir_all(parent)?;
    let parent =
        fs::canonicalize(parent).map_err(|e| atomic::at(parent, "cannot resolve this path", e))?;
    Ok(parent.join(name))
}

/// `P/.NAME.SUFFIX` for the resolved directory `P/NAME`: a hidden sibling of it.
pub(super) fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir.file_name().map_or("".into(), |n| n.to_string_lossy());
    dir.with_file_name(format!(".{name}.{suffix}"))
}

/// Whether a lock error means the file system has no locks (`ENOSYS`, `EOPNOTSUPP`, or
/// `ENOLCK`, which an NFS mount without a lock daemon gives) rather than a real failure.
fn unsupported(e: &io::Error) -> bool {
    const ENOLCK: i32 = 37; // Linux
    e.kind() == io::ErrorKind::Unsupported || e.raw_os_error() == Some(ENOLCK)
}

fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.dev() == b.dev() && a.ino() == b.ino()
}

impl DirLock {
    /// Takes the lock of the resolved directory `dir` (see [`resolve`]), or refuses, naming
    /// `shown` (the path as the user gave it), when another process holds it.
    pub fn acquire(dir: &Path, shown: &Path) -> io::Result<Self> {
        let path = sibling(dir, "lock");
        loop {
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| atomic::at(&path, "cannot create the lock file", e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    return Err(io::Error::new(
                        io::ErrorKind::ResourceBusy,
                        format!(
                            "{} is in use by another marketsim process (it holds {}); wait \
                             for it to finish or choose another output directory",
                            shown.display(),
                            path.display()
                        ),
                    ));
                }
                Err(TryLockError::Error(e)) if unsupported(&e) => {
                    // Some network and cluster file systems have no locks: work unprotected
                    // rather than not at all, and say so.
                    eprintln!(
                        "warning: {}: this file system cannot lock files ({e}); nothing stops \
                         another process from writing {} at the same time",
                        path.display(),
                        shown.display()
                    );
                }
                Err(TryLockError::Error(e)) => {
                    return Err(atomic::at(&path, "cannot lock", e));
                }
            }
            let held = file
                .metadata()
                .map_err(|e| atomic::at(&path, "cannot read the lock file", e))?;
            match fs::metadata(&path) {
                Ok(now) if same_file(&held, &now) => {
                    return Ok(Self {
                        _file: file,
                        path,
                        dir: dir.to_path_buf(),
                    });
                }
                // Unlinked by its previous holder after we opened it: take the new one.
                _ => continue,
            }
        }
    }

    /// The resolved directory this lock guards.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Unlink while still holding the lock; closing the file then releases it.
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_until_the_first_releases() {
        let root = std::env::temp_dir().join(format!("marketsim-lock-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let dir = resolve(&root.join("out")).unwrap();
        assert!(dir.is_absolute() && root.is_dir() && !dir.exists());
        let first = DirLock::acquire(&dir, Path::new("out")).unwrap();
        assert!(root.join(".out.lock").exists());
        let e = DirLock::acquire(&dir, Path::new("out")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ResourceBusy);
        assert!(e.to_string().starts_with("out is in use by another"));
        // Another spelling of the same directory shares the lock.
        assert_eq!(resolve(&root.join("x/../out")).unwrap(), dir);
        drop(first);
        assert!(!root.join(".out.lock").exists(), "released and removed");
        let again = DirLock::acquire(&dir, Path::new("out")).unwrap();
        assert_eq!(again.dir(), dir);
        drop(again);
        // A lock file left by a killed process (unlocked) is taken over.
        fs::write(root.join(".out.lock"), b"").unwrap();
        drop(DirLock::acquire(&dir, Path::new("out")).unwrap());
        fs::remove_dir_all(&root).unwrap();
    }
}
