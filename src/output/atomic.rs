//! Crash-safe output: files appear complete or not at all.
//!
//! Each file is written to a hidden temporary sibling (`.NAME.partial`), flushed and synced,
//! then renamed over its final name; a run killed half-way leaves only `.partial` files, never
//! a complete-looking CSV.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Refuses a results directory that exists and is not empty, unless `force`; creates it.
pub fn prepare_dir(dir: &Path, force: bool) -> io::Result<()> {
    if dir.exists() {
        let non_empty = fs::read_dir(dir)?.next().is_some();
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
    fs::create_dir_all(dir)
}

/// A file being written atomically; call [`AtomicFile::commit`] to publish it. Dropping it
/// without committing removes the temporary file.
pub struct AtomicFile {
    writer: Option<BufWriter<File>>,
    temp: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target` (through a temporary sibling).
    pub fn create(target: &Path) -> io::Result<Self> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name")
        })?;
        let temp = target.with_file_name(format!(".{}.partial", name.to_string_lossy()));
        let file = File::create(&temp)?;
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
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        if sync {
            file.sync_all()?;
        }
        fs::rename(&self.temp, &self.target)
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
    f.write_all(bytes)?;
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
        prepare_dir(&d, false).unwrap();
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
