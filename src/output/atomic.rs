//! Crash-safe files: a file appears complete or not at all.
//!
//! Each file is written to a hidden temporary sibling `.NAME.PID-N.partial` (unique to the
//! process and the write, so two writers never share one), flushed and synced, then renamed
//! over its final name. A writer killed half-way leaves only a `.partial` file, never a
//! complete-looking CSV. A whole run directory is published in one piece by [`super::run_dir`].
//!
//! I/O errors name the path and what was expected of it, once (see [`at`]).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// An I/O error with the path it happened at and what was being done: `PATH: WHAT: ERROR`,
/// one message with no separate source (so an error chain does not print the OS error twice).
pub fn at(path: &Path, what: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {what}: {e}", path.display()))
}

/// Creates `dir` and its missing parents. When an ancestor is a file, says which one.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir).map_err(|e| {
        let file = dir
            .ancestors()
            .find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir()));
        match file {
            Some(file) => io::Error::new(
                io::ErrorKind::NotADirectory,
                format!(
                    "{}: cannot create this directory: {} is a file, not a directory",
                    dir.display(),
                    file.display()
                ),
            ),
            None => at(dir, "cannot create this directory", e),
        }
    })
}

/// Refuses a directory that exists and is not empty, unless `force`; creates it. (A run's
/// directory is prepared by [`super::run_dir::RunDir`] instead, which also locks and stages it.)
pub fn prepare_dir(dir: &Path, force: bool) -> io::Result<()> {
    if dir.exists() {
        let non_empty = fs::read_dir(dir)
            .map_err(|e| at(dir, "cannot read this directory", e))?
            .next()
            .is_some();
        if non_empty && !force {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} exists and is not empty; choose another --out or pass --force to overwrite",
                    dir.display()
                ),
            ));
        }
    }
    create_dir_all(dir)
}

/// Checks, before any work, that a file can later be written at `target`: its directory
/// exists and `target` is not a directory. The error says which path and what was expected.
pub fn check_file_target(target: &Path) -> io::Result<()> {
    if target.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            format!(
                "{} is a directory; expected the path of a file to write",
                target.display()
            ),
        ));
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: its directory {} does not exist or is not a directory",
                target.display(),
                parent.display()
            ),
        ));
    }
    // A probe write: refuses a read-only directory now rather than at the end.
    drop(AtomicFile::create(target)?);
    Ok(())
}

/// A file being written atomically; call [`AtomicFile::commit`] to publish it. Dropping it
/// without committing removes the temporary file.
pub struct AtomicFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
}

/// Distinguishes the temporary files of one process.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Whether `name` is the name of a temporary file left by an interrupted write of `target`
/// (`.TARGET.partial` as older versions named it, or `.TARGET.PID-N.partial`).
pub fn is_partial_of(name: &str, target: &str) -> bool {
    name.strip_prefix('.')
        .and_then(|n| n.strip_prefix(target))
        .and_then(|n| n.strip_suffix(".partial"))
        .is_some_and(|middle| {
            middle.is_empty()
                || middle
                    .strip_prefix('.')
                    .is_some_and(|m| !m.is_empty() && !m.contains('/'))
        })
}

/// Whether `name` is the name of any interrupted write's temporary file.
pub fn is_partial(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".partial")
}

impl AtomicFile {
    /// Starts writing `target` (through a temporary sibling unique to this write).
    pub fn create(target: &Path) -> io::Result<Self> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: expected the path of a file", target.display()),
            )
        })?;
        let temp = target.with_file_name(format!(
            ".{}.{}-{}.partial",
            name.to_string_lossy(),
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::create(&temp).map_err(|e| {
            if target.is_dir() {
                io::Error::new(
                    io::ErrorKind::IsADirectory,
                    format!("{} is a directory; expected a file", target.display()),
                )
            } else {
                at(target, "cannot write", e)
            }
        })?;
        Ok(Self {
            writer: Some(BufWriter::with_capacity(1 << 16, file)),
            temp,
            target: target.to_path_buf(),
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> io::Result<()> {
        self.finish(true)
    }

    /// Renames the file into place without syncing it to disk first: still all-or-nothing if
    /// the process is killed, but a power loss may leave it empty or truncated (so a reader
    /// must validate it). For the many small per-run records of a sweep, where a sync per file
    /// would cost more than the run.
    pub fn commit_unsynced(self) -> io::Result<()> {
        self.finish(false)
    }

    fn finish(mut self, sync: bool) -> io::Result<()> {
        let writer = self.writer.take().expect("committed once");
        let result = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| if sync { file.sync_all() } else { Ok(()) })
            .map_err(|e| at(&self.target, "cannot write", e))
            .and_then(|()| {
                fs::rename(&self.temp, &self.target).map_err(|e| {
                    if self.target.is_dir() {
                        io::Error::new(
                            io::ErrorKind::IsADirectory,
                            format!("{} is a directory; expected a file", self.target.display()),
                        )
                    } else {
                        at(
                            &self.target,
                            "cannot rename the finished file into place",
                            e,
                        )
                    }
                })
            });
        if result.is_err() {
            let _ = fs::remove_file(&self.temp);
        }
        result
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.as_mut().expect("not committed").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer.as_mut().expect("not committed").flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write_file(target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(target)?;
    f.write_all(bytes)
        .map_err(|e| at(target, "cannot write", e))?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("marketsim-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn uncommitted_file_never_appears() {
        let d = temp_dir("uncommitted");
        create_dir_all(&d).unwrap();
        {
            let mut f = AtomicFile::create(&d.join("a.csv")).unwrap();
            f.write_all(b"x,y\n1,2\n").unwrap();
            assert!(!d.join("a.csv").exists());
        } // dropped without commit: interrupted
        assert_eq!(fs::read_dir(&d).unwrap().count(), 0);
        write_file(&d.join("b.csv"), b"ok\n").unwrap();
        assert_eq!(fs::read(d.join("b.csv")).unwrap(), b"ok\n");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn two_writes_of_one_file_use_different_temporaries() {
        let d = temp_dir("unique");
        create_dir_all(&d).unwrap();
        let mut a = AtomicFile::create(&d.join("x.csv")).unwrap();
        let mut b = AtomicFile::create(&d.join("x.csv")).unwrap();
        a.write_all(b"a\n").unwrap();
        b.write_all(b"b\n").unwrap();
        assert_eq!(fs::read_dir(&d).unwrap().count(), 2, "two temporaries");
        for e in fs::read_dir(&d).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(is_partial_of(&name, "x.csv"), "{name}");
        }
        a.commit().unwrap();
        assert_eq!(fs::read(d.join("x.csv")).unwrap(), b"a\n");
        b.commit().unwrap();
        assert_eq!(fs::read(d.join("x.csv")).unwrap(), b"b\n");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn partial_names_are_recognised_by_target() {
        assert!(is_partial_of(".receipts.log.partial", "receipts.log"));
        assert!(is_partial_of(".receipts.log.123-4.partial", "receipts.log"));
        assert!(!is_partial_of(".receipts.log.partial", "ledger.csv"));
        assert!(!is_partial_of("receipts.log", "receipts.log"));
        assert!(!is_partial_of(".receipts.logx.partial", "receipts.log"));
        assert!(is_partial(".x.partial") && !is_partial("x.partial"));
    }

    #[test]
    fn errors_name_the_path_and_what_was_expected() {
        let d = temp_dir("errors");
        create_dir_all(&d).unwrap();
        let e = check_file_target(&d).unwrap_err();
        assert!(e.to_string().contains("is a directory; expected"), "{e}");
        assert!(e.to_string().contains(&d.display().to_string()));
        fs::write(d.join("file"), b"").unwrap();
        let e = create_dir_all(&d.join("file/sub")).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot create this directory: {} is a file, not a directory",
                d.join("file/sub").display(),
                d.join("file").display()
            )
        );
        check_file_target(&d.join("report.xml")).unwrap();
        assert_eq!(
            fs::read_dir(&d).unwrap().count(),
            1,
            "the probe left nothing"
        );
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn non_empty_dir_is_refused_without_force() {
        let d = temp_dir("nonempty");
        prepare_dir(&d, false).unwrap();
        prepare_dir(&d, false).unwrap(); // empty: fine
        fs::write(d.join("keep.txt"), b"user data").unwrap();
        let e = prepare_dir(&d, false).unwrap_err();
        assert!(e.to_string().contains("--force"));
        prepare_dir(&d, true).unwrap();
        fs::remove_dir_all(&d).unwrap();
    }
}
