//! The receipts file (`receipts.log`): one line per state change, hash-chained; its writer
//! ([`ReceiptLog`]) and its verifying reader ([`LogReader`]).
//!
//! Line format: `SEQ TIME RECEIPT h=HASH`, where `HASH` is the hex SHA-256 of the previous
//! line's hash, a space, and `SEQ TIME RECEIPT`. The chain starts from 64 zeros. Editing,
//! inserting, deleting or reordering any line breaks every hash after it.
//!
//! The last line is the end record `SEQ TIME end h=HASH` (its time is the last receipt's), so a
//! log cut short, which still has an intact chain, is recognised as such: it has no end record.

use super::{Receipt, ReceiptSink};
use crate::engine::SimTime;
use crate::output::atomic::AtomicFile;
use sha2::{Digest, Sha256};
use std::io::{self, BufRead, Read as _, Write};
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

/// The longest line a receipts log may have; real receipts are far shorter. Bounds the memory
/// of reading any file, even one that is not a receipts log.
pub const MAX_LINE: u64 = 1 << 16;

/// Reads a `receipts.log` line by line, verifying its hash chain, and requires the end record
/// as its last line. Memory is one line, whatever the length of the log.
pub struct LogReader<R> {
    log: R,
    previous: String,
    line: Vec<u8>,
    /// Lines read.
    lines: u64,
    /// Receipts handed out (the end record not counted).
    receipts: u64,
    ended: bool,
}

impl<R: BufRead> LogReader<R> {
    /// A reader of `log`, before its first line.
    pub fn new(log: R) -> Self {
        Self {
            log,
            previous: GENESIS.to_string(),
            line: Vec::new(),
            lines: 0,
            receipts: 0,
            ended: false,
        }
    }

    /// The next receipt, as its line `SEQ TIME RECEIPT` without the hash, once its hash is
    /// verified; `None` at the end of a log that ended with its end record. The outer error is
    /// an I/O error; the inner one the problem found (with its line number): the chain broken,
    /// the log cut short, a line after the end record, a line that is not a receipt's.
    pub fn next_receipt(&mut self) -> io::Result<Result<Option<&str>, String>> {
        loop {
            self.line.clear();
            (&mut self.log)
                .take(MAX_LINE + 1)
                .read_until(b'\n', &mut self.line)?;
            if self.line.is_empty() {
                return Ok(match self.ended {
                    true => Ok(None),
                    false => Err(format!(
                        "receipts.log ends early: no end record after its {} receipt(s) (the log was cut short)",
                        self.receipts
                    )),
                });
            }
            self.lines += 1;
            let n = self.lines;
            let problem = |what: &str| Ok(Err(format!("line {n}: {what}")));
            if self.line.pop() != Some(b'\n') {
                return match self.line.len() as u64 >= MAX_LINE {
                    true => problem("too long for a receipt (not a receipts log?)"),
                    false => problem("cut short (no end of line): receipts.log ends early"),
                };
            }
            if self.ended {
                return problem("a line after the end record");
            }
            let Ok(text) = std::str::from_utf8(&self.line) else {
                return problem("not UTF-8 text");
            };
            let Some((body, hash)) = text.rsplit_once(" h=") else {
                return problem("no hash");
            };
            let expected = chain(&self.previous, body);
            if hash != expected {
                return problem("hash chain broken (receipt altered, inserted or removed)");
            }
            self.previous = expected;
            if body.split(' ').nth(2) == Some(END) && body.split(' ').count() == 3 {
                self.ended = true;
                continue;
            }
            self.receipts += 1;
            // The body again, from the line itself (a borrow returned from a loop must be
            // taken after the loop's last change to the line).
            let body = std::str::from_utf8(&self.line[..body.len()]).expect("validated above");
            return Ok(Ok(Some(body)));
        }
    }
}
