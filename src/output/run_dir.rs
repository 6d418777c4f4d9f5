//! A run's results directory commits as a whole: it holds a complete run or nothing of it.
//!
//! A run writes every file into a hidden staging directory beside its results directory and
//! publishes it with one `rename` at the end, under the directory's lock ([`super::lock`]):
//!
//! ```text
//! P/.NAME.lock        held from the start of the run to the end of publishing
//! P/.NAME.staging/    the run's files, each synced as written; the directory itself synced
//! publish:  P/NAME absent or empty ─rename staging─▶ P/NAME
//!           P/NAME a previous run   ─rename─▶ P/.NAME.replaced ─rename staging─▶ P/NAME
//!                                   ─remove P/.NAME.replaced; sync P
//! ```
//!
//! Whatever moment a run is killed at, `P/NAME` is either a complete run (the previous or the
//! new one) or absent; never a mix. What a killed run leaves is only hidden siblings
//! (`.NAME.staging`, `.NAME.replaced`, `.NAME.lock`), which the next writer of `P/NAME`
//! removes once it holds the lock; if the kill came between the two renames of publishing
//! (`P/NAME` absent, `.NAME.replaced` present), it first puts the previous run back. A directory that exists and is not empty is refused unless
//! forced; `--force` replaces a previous run (including the hidden `.FILE.partial` leftovers of
//! older versions) but refuses a directory holding anything that is not a run's file, so it
//! can never delete unrelated data.

use super::atomic;
use super::lock::{self, DirLock};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Every name a run may leave in its directory (the files of [`super::RUN_FILES`] and
/// `receipts.log`).
fn is_run_file(name: &str) -> bool {
    let known = |f: &str| name == f || atomic::is_partial_of(name, f);
    super::RUN_FILES.iter().any(|f| known(f)) || known(super::RECEIPTS_FILE)
}

/// A run being written: its staging directory, under the lock of its results directory.
/// Dropping it without [`RunDir::publish`] removes the staging directory and leaves the
/// results directory as it was.
#[derive(Debug)]
pub struct RunDir {
    lock: DirLock,
    shown: PathBuf,
    staging: PathBuf,
    force: bool,
    published: bool,
}

/// Refuses `dir` (as the user named it: `shown`) unless it is missing, empty, or, with
/// `force`, a previous run. Returns whether it exists.
fn check_target(dir: &Path, shown: &Path, force: bool) -> io::Result<bool> {
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(atomic::at(shown, "cannot read", e)),
    };
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!(
                "{} is a file; expected a results directory (or a path that does not exist yet)",
                shown.display()
            ),
        ));
    }
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| atomic::at(shown, "cannot read this directory", e))?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<_>>()
        .map_err(|e| atomic::at(shown, "cannot read this directory", e))?;
    if names.is_empty() {
        return Ok(true);
    }
    if !force {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not empty; choose another --out or pass --force to replace the run there",
                shown.display()
            ),
        ));
    }
    names.retain(|n| !is_run_file(n));
    names.sort();
    if !names.is_empty() {
        names.truncate(5);
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} holds files that are not a marketsim run's ({}); --force only replaces a previous run: move them or choose another --out",
                shown.display(),
                names.join(", ")
            ),
        ));
    }
    Ok(true)
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(atomic::at(
            path,
            "cannot remove what an interrupted run left",
            e,
        )),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| atomic::at(dir, "cannot sync this directory", e))
}

impl RunDir {
    /// Starts a run into `dir`: resolves it, takes its lock (refused if another process holds
    /// it), removes what a killed run left beside it, refuses it unless it is missing, empty
    /// or (with `force`) a previous run, and creates an empty staging directory. Everything is
    /// checked here, before the run starts.
    pub fn begin(dir: &Path, force: bool) -> io::Result<Self> {
        let resolved = lock::resolve(dir)?;
        let lock = DirLock::acquire(&resolved, dir)?;
        let staging = lock::sibling(&resolved, "staging");
        remove_if_present(&staging)?;
        let replaced = lock::sibling(&resolved, "replaced");
        if replaced.exists() && !resolved.exists() {
            // Killed between the two renames of publishing: put the previous run back.
            fs::rename(&replaced, &resolved)
                .map_err(|e| atomic::at(&replaced, "cannot restore this previous run", e))?;
        }
        remove_if_present(&replaced)?;
        check_target(&resolved, dir, force)?;
        fs::create_dir(&staging).map_err(|e| atomic::at(&staging, "cannot create", e))?;
        Ok(Self {
            lock,
            shown: dir.to_path_buf(),
            staging,
            force,
            published: false,
        })
    }

    /// The directory to write the run's files into.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Publishes the staged run as the results directory in one rename (see the module docs)
    /// and releases the lock.
    pub fn publish(mut self) -> io::Result<()> {
        let target = self.lock.dir().to_path_buf();
        sync_dir(&self.staging)?;
        // Checked again: files may have appeared since the run began.
        let exists = check_target(&target, &self.shown, self.force)?;
        let non_empty = exists
            && fs::read_dir(&target)
                .map_err(|e| atomic::at(&self.shown, "cannot read this directory", e))?
                .next()
                .is_some();
        let replaced = lock::sibling(&target, "replaced");
        if non_empty {
            fs::rename(&target, &replaced)
                .map_err(|e| atomic::at(&self.shown, "cannot move the previous run aside", e))?;
        }
        if let Err(e) = fs::rename(&self.staging, &target) {
            if non_empty {
                // Put the previous run back where it was.
                let _ = fs::rename(&replaced, &target);
            }
            return Err(atomic::at(&self.shown, "cannot publish the run", e));
        }
        self.published = true;
        if non_empty {
            remove_if_present(&replaced)?;
        }
        sync_dir(target.parent().unwrap_or(Path::new("/")))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn stage(dir: &Path, force: bool, text: &str) -> io::Result<()> {
        let run = RunDir::begin(dir, force)?;
        for f in super::super::RUN_FILES {
            fs::write(run.staging().join(f), text).unwrap();
        }
        run.publish()
    }

    #[test]
    fn a_run_appears_whole_replaces_only_a_run_and_cleans_leftovers() {
        let root = std::env::temp_dir().join(format!("marketsim-rundir-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let out = root.join("out");
        // Unpublished: nothing appears, nothing is left.
        drop(RunDir::begin(&out, false).unwrap());
        assert!(names(&root).is_empty(), "{:?}", names(&root));
        stage(&out, false, "one").unwrap();
        assert_eq!(names(&out).len(), super::super::RUN_FILES.len());
        assert_eq!(names(&root), ["out"], "no hidden leftovers beside it");
        let e = stage(&out, false, "two").unwrap_err();
        assert!(e.to_string().contains("--force"), "{e}");
        // A killed run's leftovers: a staging directory beside, an old-style partial inside.
        fs::create_dir(root.join(".out.staging")).unwrap();
        fs::write(root.join(".out.staging/agents.csv"), "half").unwrap();
        fs::write(out.join(".receipts.log.partial"), "half").unwrap();
        stage(&out, true, "two").unwrap();
        assert_eq!(names(&root), ["out"]);
        assert!(!names(&out).iter().any(|n| n.starts_with('.')));
        assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "two");
        // Killed between the two renames of publishing: the previous run is put back.
        fs::rename(&out, root.join(".out.replaced")).unwrap();
        drop(RunDir::begin(&out, false).unwrap_err());
        assert_eq!(names(&root), ["out"]);
        assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "two");
        // --force never deletes what is not a run's.
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = stage(&out, true, "three").unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        assert_eq!(fs::read_to_string(out.join("summary.csv")).unwrap(), "two");
        // A file where a directory is expected.
        let e = RunDir::begin(&out.join("notes.txt"), true).unwrap_err();
        assert!(e.to_string().contains("notes.txt is a file"), "{e}");
        fs::remove_dir_all(&root).unwrap();
    }
}
