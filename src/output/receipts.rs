//! The receipts file (`receipts.log`): one line per state change, hash-chained.
//!
//! Line format: `SEQ TIME RECEIPT h=HASH`, where `HASH` is the hex SHA-256 of the previous
//! line's hash, a space, and `SEQ TIME RECEIPT`. The chain starts from 64 zeros. Editing,
//! inserting, deleting or reordering any line breaks every hash after it.
//!
//! The last line is the end record `SEQ TIME end h=HASH` (its time is the last receipt's), so a
//! log cut short, which still has an intact chain, is recognised as such: it has no end record.

use crate::engine::SimTime;
use crate::output::atomic::AtomicFile;
use crate::world::receipts::{Receipt, ReceiptSink};
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The text of the end record, after its sequence number and time.
pub const END: &str = "end";

/// Hash of nothing: the chain's starting point.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The next link: hex SHA-256 of `previous`, a space and `body`.
pub fn chain(previous: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(previous.as_bytes());
    h.update(b" ");
    h.update(body.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

struct State {
    file: Option<AtomicFile>,
    seq: u64,
    time: SimTime,
    hash: String,
    error: Option<io::Error>,
}

/// Streams receipts into `receipts.log` (atomically: the file appears when [`commit`] is
/// called). Cloneable handle: the world owns one, the caller keeps one to commit.
///
/// [`commit`]: ReceiptLog::commit
#[derive(Clone)]
pub struct ReceiptLog(Arc<Mutex<State>>);

impl ReceiptLog {
    /// Starts `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(Self(Arc::new(Mutex::new(State {
            file: Some(AtomicFile::create(path)?),
            seq: 0,
            time: 0,
            hash: GENESIS.to_string(),
            error: None,
        }))))
    }

    /// Appends the end record and publishes the file; reports the first write error, if any.
    pub fn commit(&self) -> io::Result<()> {
        let mut s = self.0.lock().expect("not poisoned");
        let time = s.time;
        s.append(&format!("{time} {END}"));
        if let Some(e) = s.error.take() {
            return Err(e);
        }
        s.file.take().expect("committed once").commit()
    }
}

impl State {
    /// Appends line `SEQ TEXT h=HASH`, keeping the first write error.
    fn append(&mut self, text: &str) {
        if self.error.is_some() {
            return;
        }
        let body = format!("{} {text}", self.seq);
        let hash = chain(&self.hash, &body);
        let result = writeln!(self.file.as_mut().expect("open"), "{body} h={hash}");
        if let Err(e) = result {
            self.error = Some(e);
        }
        self.seq += 1;
        self.hash = hash;
    }
}

impl ReceiptSink for ReceiptLog {
    fn emit(&mut self, time: SimTime, receipt: &Receipt) {
        let mut s = self.0.lock().expect("not poisoned");
        s.time = time;
        s.append(&format!("{time} {receipt}"));
    }
}
