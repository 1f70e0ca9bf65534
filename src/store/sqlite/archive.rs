//! [`ArchiveStore`] on SQLite, with a write path that dirties few pages.
//!
//! Appends go to one writer thread that commits every batch waiting in one transaction
//! (group commit) and acknowledges them all after the commit. That commit only appends
//! rows to `archive`, whose rowid is the archive id: ids grow with time, so the rows
//! land on the table's last pages. The owner index (`archive_index`: owner, id, peer,
//! time, with JIDs numbered in `archive_jids`) is not written then: new entries wait in
//! memory (the *tail*) and go to the index later in bulk, sorted by owner, so one index
//! page takes many entries at once instead of one entry per commit.
//!
//! Reads merge the tail with the index. The writer holds the tail's lock across each
//! index commit and the removal of what it wrote; a reader copies what it needs from
//! the tail and starts its read transaction under the same lock, so it sees every entry
//! in exactly one of the two.
//!
//! A row `shared` by two owners (a one-to-one message between two accounts here) has an
//! index entry for each; reads give each owner its own view of the row, and deleting one
//! owner's archive hands such rows over to the other.
//!
//! `archive_indexed.upto`: every row with an id up to it has its index entries. Opening
//! the store indexes the rows above it, so a crash or a stop with a tail loses nothing
//! but time at the next start. (A command-line process opening the database while a
//! server runs does the same with the server's tail: index writes are idempotent and
//! reads drop duplicates, but until the server's next round a count may include those
//! entries twice.)

use super::{db_err, task_err, SqliteStore};
use crate::store::{ArchiveQuery, ArchiveStore, ArchivedMessage, Cause, Commit, StoreError};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Rows to append and where to say they are durable. The answer hands the rows back, so
/// that they are freed by the thread that waits for them rather than by the writer: a
/// thread that only frees what others allocated takes the allocator's lock of their
/// memory for each row, and contends with them for it.
type Batch = (Vec<ArchivedMessage>, oneshot::Sender<Appended>);

/// The outcome of an append, with the rows it was given.
type Appended = (Result<(), StoreError>, Vec<ArchivedMessage>);

/// What the writer thread is asked to do.
pub(super) enum Command {
    /// Store these rows; answer once they are durable.
    Append(Batch),
    /// Delete an owner's archive; answer with how many rows went.
    Delete(String, oneshot::Sender<Result<u64, StoreError>>),
}

/// Most messages committed in one transaction.
const GROUP_COMMIT_MAX: usize = 4096;
/// Commands waiting for the writer before appends wait themselves.
pub(super) const WRITER_QUEUE: usize = 16 * 1024;
/// How often the writer resets the WAL (a cheap step after the background checkpoints).
const WAL_RESET_EVERY: Duration = Duration::from_secs(2);
/// Past this many JIDs the writer forgets their numbers and looks them up again.
const JID_CACHE_MAX: usize = 1 << 20;

/// When the tail goes to the index, and in what steps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Indexing {
    /// Tail entries that start a round of index writes.
    pub start_at: usize,
    /// The longest an entry waits in the tail before a round starts anyway.
    pub max_age: Duration,
    /// Entries written per index transaction at most; appends wait while one commits.
    pub chunk: usize,
    /// How long one index transaction may write before it commits what it has: the
    /// appends waiting behind it wait at most about this (their tail latency).
    pub budget: Duration,
}

impl Default for Indexing {
    fn default() -> Self {
        Indexing {
            start_at: 128 * 1024,
            max_age: Duration::from_secs(2),
            chunk: 2048,
            budget: Duration::from_millis(1),
        }
    }
}

impl Indexing {
    /// Past this the writer indexes before it takes new appends, which bounds the tail.
    fn hard_cap(&self) -> usize {
        self.start_at.saturating_mul(4).max(self.chunk)
    }
}

/// An index entry not yet written.
#[derive(Debug, Clone)]
struct Entry {
    id: i64,
    with: String,
    ts: i64,
}

/// Index entries waiting for the index, by owner, each list in id order.
#[derive(Debug, Default)]
pub(super) struct Tail {
    by_owner: HashMap<String, Vec<Entry>>,
    len: usize,
    max_id: i64,
    /// Since when the tail has held entries no round has taken.
    since: Option<Instant>,
}

pub(super) type SharedTail = Arc<Mutex<Tail>>;

fn lock(tail: &SharedTail) -> MutexGuard<'_, Tail> {
    // The tail is plain data and each change to it completes before the guard drops;
    // a panic elsewhere while holding it leaves it usable.
    tail.lock().unwrap_or_else(|p| p.into_inner())
}

impl Tail {
    /// Adds the index entries of `m`: its owner's, and its other keeper's when shared.
    fn insert(&mut self, m: &ArchivedMessage) {
        self.insert_entry(&m.owner, &m.with, m.id, m.timestamp_ms);
        if m.shared && m.with != m.owner {
            self.insert_entry(&m.with, &m.owner, m.id, m.timestamp_ms);
        }
    }

    fn insert_entry(&mut self, owner: &str, with: &str, id: i64, ts: i64) {
        let list = match self.by_owner.get_mut(owner) {
            Some(list) => list,
            None => self.by_owner.entry(owner.to_owned()).or_default(),
        };
        let entry = Entry {
            id,
            with: with.to_owned(),
            ts,
        };
        match list.last() {
            Some(last) if last.id > id => {
                let at = list.partition_point(|e| e.id < id);
                list.insert(at, entry);
            }
            _ => list.push(entry),
        }
        self.len += 1;
        self.max_id = self.max_id.max(id);
        self.since.get_or_insert_with(Instant::now);
    }

    /// Forgets the first `n` entries of `owner` (they are in the index now).
    fn remove_first(&mut self, owner: &str, n: usize) {
        if let Some(list) = self.by_owner.get_mut(owner) {
            let n = n.min(list.len());
            list.drain(..n);
            self.len -= n;
            if list.is_empty() {
                self.by_owner.remove(owner);
            }
        }
    }

    /// The lowest id left once the first `n` entries of each owner in `taken` are gone.
    fn lowest_left(&self, taken: &[(String, usize)]) -> Option<i64> {
        let taken: HashMap<&str, usize> = taken.iter().map(|(o, n)| (o.as_str(), *n)).collect();
        self.by_owner
            .iter()
            .filter_map(|(owner, list)| list.get(taken.get(owner.as_str()).copied().unwrap_or(0)))
            .map(|e| e.id)
            .min()
    }

    fn remove_owner(&mut self, owner: &str) -> Vec<i64> {
        let list = self.by_owner.remove(owner).unwrap_or_default();
        self.len -= list.len();
        list.into_iter().map(|e| e.id).collect()
    }

    /// The entries of `q.owner` that `q` selects, in its order, at most `q.limit`
    /// (`None`: every one, for counting).
    fn select(&self, q: &ArchiveQuery, with_ids: bool, limit: Option<usize>) -> Vec<i64> {
        let Some(list) = self.by_owner.get(&q.owner) else {
            return Vec::new();
        };
        let keep = |e: &&Entry| q.admits(e.id, &e.with, e.ts, with_ids);
        let limit = limit.unwrap_or(usize::MAX);
        if q.newest_first {
            list.iter().rev().filter(keep).take(limit).map(|e| e.id).collect()
        } else {
            list.iter().filter(keep).take(limit).map(|e| e.id).collect()
        }
    }
}

/// A pass over every owner in the tail at the time it started, one chunk at a time.
struct Round {
    /// Owners still to write, the next one last.
    owners: Vec<String>,
    /// The tail's highest id when the round started: entries above wait for the next.
    upto: i64,
}

struct Writer {
    conn: Connection,
    tail: SharedTail,
    indexing: Indexing,
    round: Option<Round>,
    /// JID numbers in `archive_jids`, as far as this writer has seen them.
    jids: HashMap<String, i64>,
    last_reset: Instant,
    /// The background checkpointer's rounds, and how many of them the writer has seen.
    checkpoints: Arc<AtomicU64>,
    checkpoints_seen: u64,
}

/// Runs the writer: group commits of appends, deletions in their turn, and the tail
/// written to the index in chunks between commits.
pub(super) fn writer_loop(
    conn: Connection,
    rx: std::sync::mpsc::Receiver<Command>,
    tail: SharedTail,
    indexing: Indexing,
    checkpoints: Arc<AtomicU64>,
) {
    use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
    let mut w = Writer {
        conn,
        tail,
        indexing,
        round: None,
        jids: HashMap::new(),
        last_reset: Instant::now(),
        checkpoints,
        checkpoints_seen: 0,
    };
    let mut held: Option<Command> = None;
    loop {
        let (due, full) = w.indexing_due();
        if full {
            w.index_step();
            continue;
        }
        let next = match held.take() {
            Some(c) => Some(c),
            None if due => match rx.try_recv() {
                Ok(c) => Some(c),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => break,
            },
            None => match rx.recv_timeout(w.until_due()) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        match next {
            None => w.index_step(),
            Some(Command::Delete(owner, ack)) => {
                let _ = ack.send(w.delete(&owner));
            }
            Some(Command::Append(first)) => {
                let mut count = first.0.len();
                let mut batches = vec![first];
                while count < GROUP_COMMIT_MAX {
                    match rx.try_recv() {
                        Ok(Command::Append(batch)) => {
                            count += batch.0.len();
                            batches.push(batch);
                        }
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let result = w.append(&batches);
                for (rows, ack) in batches {
                    let _ = ack.send((result.clone(), rows));
                }
                if w.indexing_due().0 {
                    w.index_step();
                }
            }
        }
        w.reset_wal_now_and_then();
    }
}

impl Writer {
    /// Whether a round is under way or due, and whether the tail is at its hard cap.
    fn indexing_due(&self) -> (bool, bool) {
        let t = lock(&self.tail);
        let due = self.round.is_some()
            || t.len >= self.indexing.start_at
            || t.since.is_some_and(|s| s.elapsed() >= self.indexing.max_age);
        (due, t.len >= self.indexing.hard_cap())
    }

    /// How long to wait for commands before the tail's age makes a round due.
    fn until_due(&self) -> Duration {
        match lock(&self.tail).since {
            Some(s) => self.indexing.max_age.saturating_sub(s.elapsed()),
            None => Duration::from_secs(3600),
        }
    }

    fn append(&mut self, batches: &[Batch]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(db_err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO archive (id, owner, with_jid, ts, stanza, shared) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(db_err)?;
            for (messages, _) in batches {
                for m in messages {
                    stmt.execute(params![m.id, m.owner, m.with, m.timestamp_ms, m.stanza, m.shared])
                        .map_err(db_err)?;
                }
            }
        }
        tx.commit().map_err(db_err)?;
        let mut t = lock(&self.tail);
        for (messages, _) in batches {
            for m in messages {
                t.insert(m);
            }
        }
        Ok(())
    }

    /// Writes one chunk of the current round (starting one if none is under way).
    fn index_step(&mut self) {
        let mut t = lock(&self.tail);
        let round = match self.round.take() {
            Some(r) => r,
            None if t.len == 0 => {
                t.since = None;
                return;
            }
            None => {
                // Owners in the order of their numbers, so neighbouring index pages are
                // written together; owners without a number yet come last.
                let mut owners: Vec<(i64, String)> = t
                    .by_owner
                    .keys()
                    .map(|o| (self.jids.get(o).copied().unwrap_or(i64::MAX), o.clone()))
                    .collect();
                owners.sort_unstable_by(|a, b| b.cmp(a));
                t.since = None;
                Round {
                    owners: owners.into_iter().map(|(_, o)| o).collect(),
                    upto: t.max_id,
                }
            }
        };
        let mut round = round;
        let mut taken: Vec<(String, usize)> = Vec::new();
        let mut entries = 0;
        while entries < self.indexing.chunk {
            let Some(owner) = round.owners.pop() else { break };
            if let Some(list) = t.by_owner.get(&owner) {
                let n = list.partition_point(|e| e.id <= round.upto);
                if n > 0 {
                    entries += n;
                    taken.push((owner, n));
                }
            }
        }
        let deadline = Instant::now() + self.indexing.budget;
        let owners_left = round.owners.is_empty();
        // The round ends with this step if nothing is left for it once the step wrote
        // everything it took. An append with a lower id may commit after the round began
        // (ids are issued before their commit): `upto` stays below whatever the tail
        // still holds.
        let round_end = |written: &[(String, usize)]| {
            let whole = written.iter().zip(&taken).all(|((_, w), (_, n))| w == n);
            (owners_left && whole).then(|| match t.lowest_left(written) {
                Some(lowest) => round.upto.min(lowest - 1),
                None => round.upto,
            })
        };
        let written = write_index(&self.conn, &mut self.jids, &t, &taken, deadline, round_end);
        match written {
            Ok(written) => {
                // Owners the budget cut short come first in the next step.
                for ((owner, w), (_, n)) in written.iter().zip(&taken).rev() {
                    if w < n {
                        round.owners.push(owner.clone());
                    }
                }
                for (owner, n) in &written {
                    t.remove_first(owner, *n);
                }
                let last = round.owners.is_empty();
                if t.len > 0 && t.since.is_none() && last {
                    t.since = Some(Instant::now());
                }
                if !last {
                    self.round = Some(round);
                }
            }
            Err(e) => {
                // The entries stay in the tail; a new round takes them after `max_age`
                // (or at once if the tail is full: pause so a lasting failure does not spin).
                tracing::warn!(error = %e, "archive index write failed");
                self.jids.clear();
                t.since = Some(Instant::now());
                drop(t);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    fn delete(&mut self, owner: &str) -> Result<u64, StoreError> {
        let mut t = lock(&self.tail);
        let tx = self.conn.transaction().map_err(db_err)?;
        let mut deleted = 0;
        let number: Option<i64> = tx
            .query_row("SELECT id FROM archive_jids WHERE jid = ?1", [owner], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        // The owner's rows go; rows shared with someone else become theirs alone.
        const HAND_OVER: [&str; 3] = [
            "DELETE FROM archive WHERE id IN ({ids}) AND owner = ?2 AND (shared = 0 OR with_jid = ?2)",
            "UPDATE archive SET owner = with_jid, with_jid = owner, shared = 0
             WHERE id IN ({ids}) AND shared = 1 AND owner = ?2",
            "UPDATE archive SET shared = 0 WHERE id IN ({ids}) AND shared = 1 AND with_jid = ?2",
        ];
        if let Some(number) = number {
            for step in HAND_OVER {
                let sql = step.replace("{ids}", "SELECT id FROM archive_index WHERE owner = ?1");
                tx.execute(&sql, params![number, owner]).map_err(db_err)?;
            }
            deleted += tx
                .execute("DELETE FROM archive_index WHERE owner = ?1", [number])
                .map_err(db_err)? as u64;
        }
        for step in HAND_OVER {
            let mut stmt = tx.prepare_cached(&step.replace("{ids}", "?1")).map_err(db_err)?;
            for e in t.by_owner.get(owner).into_iter().flatten() {
                stmt.execute(params![e.id, owner]).map_err(db_err)?;
            }
        }
        deleted += t.by_owner.get(owner).map_or(0, |l| l.len() as u64);
        tx.commit().map_err(db_err)?;
        t.remove_owner(owner);
        Ok(deleted)
    }

    /// The background checkpointer has copied most frames already; as the only writer,
    /// finish the job now and then so the WAL starts over instead of growing.
    ///
    /// The rest of the job holds up appends, so it is kept small: it runs just after one
    /// of the checkpointer's rounds (what is left to copy is what was committed during
    /// that round), and it restarts the WAL rather than truncating it (the next commits
    /// overwrite the file from its start; `journal_size_limit` cuts it back to
    /// `WAL_LIMIT`): freeing a large file's blocks was 6 ms of a 26 ms reset, measured.
    /// The database sync that a restart needs stays: SQLite starts a WAL over only once
    /// every frame is in the database and synced, with no commit in between.
    ///
    /// Without waiting: a reset must wait for every reader of an older snapshot, and
    /// appends wait for the writer. A reset that would wait is skipped (SQLite says busy)
    /// and tried again after the next round; the checkpointer bounds the WAL meanwhile.
    fn reset_wal_now_and_then(&mut self) {
        let rounds = self.checkpoints.load(Ordering::Acquire);
        let round_just_ended = rounds != self.checkpoints_seen;
        self.checkpoints_seen = rounds;
        if round_just_ended && self.last_reset.elapsed() >= WAL_RESET_EVERY {
            self.last_reset = Instant::now();
            let reset = self
                .conn
                .busy_timeout(Duration::ZERO)
                .and_then(|()| self.conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())));
            // Whatever the reset did, the writer waits for locks as before.
            let restored = self.conn.busy_timeout(super::BUSY_TIMEOUT);
            if let Err(e) = reset.and(restored) {
                tracing::warn!(error = %e, "WAL reset failed");
            }
        }
    }
}

/// The number of `jid` in `archive_jids`, added if new.
fn jid_number(tx: &Transaction<'_>, cache: &mut HashMap<String, i64>, jid: &str) -> Result<i64, StoreError> {
    if let Some(&n) = cache.get(jid) {
        return Ok(n);
    }
    tx.prepare_cached("INSERT INTO archive_jids (jid) VALUES (?1) ON CONFLICT (jid) DO NOTHING")
        .and_then(|mut s| s.execute([jid]))
        .map_err(db_err)?;
    let n: i64 = tx
        .prepare_cached("SELECT id FROM archive_jids WHERE jid = ?1")
        .and_then(|mut s| s.query_row([jid], |r| r.get(0)))
        .map_err(db_err)?;
    if cache.len() >= JID_CACHE_MAX {
        cache.clear();
    }
    cache.insert(jid.to_owned(), n);
    Ok(n)
}

/// Writes the first `n` tail entries of each owner in `taken` to the index, in order,
/// until `deadline`; returns how many of each it wrote (an owner's count may be short,
/// the owners after it 0). `round_end` says, from those counts, where
/// `archive_indexed.upto` moves (when the round is over). On failure the caller clears
/// `cache` (numbers given inside the rolled-back transaction are void).
fn write_index(
    conn: &Connection,
    cache: &mut HashMap<String, i64>,
    tail: &Tail,
    taken: &[(String, usize)],
    deadline: Instant,
    round_end: impl FnOnce(&[(String, usize)]) -> Option<i64>,
) -> Result<Vec<(String, usize)>, StoreError> {
    // The writer's connection is only ever used by its own thread, one transaction at a
    // time.
    let tx = conn.unchecked_transaction().map_err(db_err)?;
    let mut written: Vec<(String, usize)> = taken.iter().map(|(o, _)| (o.clone(), 0)).collect();
    {
        let mut stmt = tx
            .prepare_cached("INSERT OR IGNORE INTO archive_index (owner, id, with_jid, ts) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db_err)?;
        let mut count = 0;
        'owners: for ((owner, n), (_, w)) in taken.iter().zip(&mut written) {
            let owner_number = jid_number(&tx, cache, owner)?;
            for e in tail.by_owner.get(owner).into_iter().flatten().take(*n) {
                // Something is always written, so a slow machine still makes progress.
                if count > 0 && Instant::now() >= deadline {
                    break 'owners;
                }
                let with = jid_number(&tx, cache, &e.with)?;
                stmt.execute(params![owner_number, e.id, with, e.ts]).map_err(db_err)?;
                *w += 1;
                count += 1;
            }
        }
    }
    if let Some(upto) = round_end(&written) {
        tx.execute("UPDATE archive_indexed SET upto = MAX(upto, ?1)", [upto])
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(written)
}

/// Indexes the rows a previous process left unindexed (run at open, before the writer
/// starts).
pub(super) fn index_leftovers(conn: &mut Connection) -> Result<u64, StoreError> {
    let tx = conn.transaction().map_err(db_err)?;
    let upto: i64 = tx
        .query_row("SELECT upto FROM archive_indexed", [], |r| r.get(0))
        .map_err(db_err)?;
    tx.execute(
        "INSERT OR IGNORE INTO archive_jids (jid)
         SELECT owner FROM archive WHERE id > ?1 UNION SELECT with_jid FROM archive WHERE id > ?1",
        [upto],
    )
    .map_err(db_err)?;
    let owners = tx
        .execute(
            "INSERT OR IGNORE INTO archive_index (owner, id, with_jid, ts)
             SELECT o.id, a.id, w.id, a.ts FROM archive a
             JOIN archive_jids o ON o.jid = a.owner JOIN archive_jids w ON w.jid = a.with_jid
             WHERE a.id > ?1",
            [upto],
        )
        .map_err(db_err)?;
    let second_keepers = tx
        .execute(
            "INSERT OR IGNORE INTO archive_index (owner, id, with_jid, ts)
             SELECT w.id, a.id, o.id, a.ts FROM archive a
             JOIN archive_jids o ON o.jid = a.owner JOIN archive_jids w ON w.jid = a.with_jid
             WHERE a.id > ?1 AND a.shared = 1 AND a.with_jid != a.owner",
            [upto],
        )
        .map_err(db_err)?;
    let n = owners + second_keepers;
    tx.execute(
        "UPDATE archive_indexed SET upto = (SELECT COALESCE(MAX(id), 0) FROM archive) WHERE upto < (SELECT COALESCE(MAX(id), 0) FROM archive)",
        [],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(n as u64)
}

/// The WHERE clause on `archive_index i` and parameters shared by queries and counts.
fn filter(q: &ArchiveQuery, with_ids: bool) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut sql = String::from("i.owner = (SELECT id FROM archive_jids WHERE jid = ?)");
    let mut params = vec![Value::Text(q.owner.clone())];
    if let Some(w) = &q.with {
        sql.push_str(" AND i.with_jid = (SELECT id FROM archive_jids WHERE jid = ?)");
        params.push(Value::Text(w.clone()));
    }
    let mut bound = |clause: &str, v: Option<i64>| {
        if let Some(v) = v {
            sql.push_str(clause);
            params.push(Value::Integer(v));
        }
    };
    bound(" AND i.ts >= ?", q.start_ms);
    bound(" AND i.ts <= ?", q.end_ms);
    bound(" AND i.ts < ?", q.before_ms);
    if with_ids {
        bound(" AND i.id > ?", q.after_id);
        bound(" AND i.id < ?", q.before_id);
    }
    (sql, params)
}

/// The columns [`row`] reads, in its order.
const COLUMNS: &str = "id, owner, with_jid, ts, stanza, shared";

/// A row as written (see [`ArchivedMessage::seen_by`] for an owner's view).
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ArchivedMessage> {
    Ok(ArchivedMessage {
        id: r.get(0)?,
        owner: r.get(1)?,
        with: r.get(2)?,
        timestamp_ms: r.get(3)?,
        stanza: r.get(4)?,
        shared: r.get(5)?,
    })
}

/// Copies from the tail under its lock and starts a read transaction before letting go,
/// so that what the tail no longer holds is in the transaction's snapshot (see the
/// module doc). Returns the copy; the transaction stays open on `conn`.
fn snapshot<T>(conn: &Connection, tail: &SharedTail, copy: impl FnOnce(&Tail) -> T) -> Result<T, StoreError> {
    let t = lock(tail);
    let copied = copy(&t);
    conn.execute_batch("BEGIN").map_err(db_err)?;
    // The first read fixes the snapshot.
    if let Err(e) = conn.query_row("SELECT upto FROM archive_indexed", [], |_| Ok(())) {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(db_err(e));
    }
    drop(t);
    Ok(copied)
}

/// Ends the read transaction [`snapshot`] opened, whatever `result` is.
fn end_read<T>(conn: &Connection, result: Result<T, StoreError>) -> Result<T, StoreError> {
    let ended = conn.execute_batch("COMMIT").map_err(db_err);
    let value = result?;
    ended.map(|()| value)
}

fn writer_stopped() -> StoreError {
    StoreError::Unavailable(Cause::msg("the archive writer stopped"))
}

impl SqliteStore {
    /// Hands `command` to the writer thread, waiting for room if its queue is full.
    async fn to_writer(&self, command: Command) -> Result<(), StoreError> {
        match self.archive_writer.try_send(command) {
            Ok(()) => Ok(()),
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => Err(writer_stopped()),
            Err(std::sync::mpsc::TrySendError::Full(command)) => {
                // The writer is behind: wait for room off the async threads.
                let writer = self.archive_writer.clone();
                tokio::task::spawn_blocking(move || writer.send(command))
                    .await
                    .map_err(task_err)?
                    .map_err(|_| writer_stopped())
            }
        }
    }
}

#[async_trait]
impl ArchiveStore for SqliteStore {
    async fn archive_enqueue(&self, messages: Vec<ArchivedMessage>) -> Result<Commit, StoreError> {
        if messages.is_empty() {
            return Ok(Box::pin(std::future::ready(Ok(()))));
        }
        let (ack, done) = oneshot::channel();
        // The writer takes commands in the order they were sent.
        self.to_writer(Command::Append((messages, ack))).await?;
        Ok(Box::pin(async move {
            let (result, rows) = done.await.map_err(|_| writer_stopped())?;
            drop(rows);
            result
        }))
    }

    async fn archive_query(&self, q: ArchiveQuery) -> Result<Vec<ArchivedMessage>, StoreError> {
        let tail = self.archive_tail.clone();
        self.with_reader(move |conn| {
            let from_tail = snapshot(conn, &tail, |t| t.select(&q, true, Some(q.limit)))?;
            let read = (|| {
                let (filter, mut params) = filter(&q, true);
                let order = if q.newest_first { "DESC" } else { "ASC" };
                let sql = format!(
                    "SELECT a.id, a.owner, a.with_jid, a.ts, a.stanza, a.shared FROM archive_index i CROSS JOIN archive a ON a.id = i.id \
                     WHERE {filter} ORDER BY i.id {order} LIMIT ?"
                );
                params.push(rusqlite::types::Value::Integer(q.limit as i64));
                let mut stmt = conn.prepare_cached(&sql).map_err(db_err)?;
                let mut rows = stmt
                    .query_map(rusqlite::params_from_iter(params), row)
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?;
                let mut by_id = conn
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM archive WHERE id = ?1"))
                    .map_err(db_err)?;
                for id in from_tail {
                    if let Some(m) = by_id.query_row([id], row).optional().map_err(db_err)? {
                        rows.push(m);
                    }
                }
                Ok(rows)
            })();
            let mut rows = end_read(conn, read)?;
            if q.newest_first {
                rows.sort_unstable_by_key(|m| std::cmp::Reverse(m.id));
            } else {
                rows.sort_unstable_by_key(|m| m.id);
            }
            rows.dedup_by_key(|m| m.id);
            rows.truncate(q.limit);
            Ok(rows.into_iter().map(|m| m.seen_by(&q.owner)).collect())
        })
        .await
    }

    async fn archive_count(&self, q: ArchiveQuery) -> Result<u64, StoreError> {
        let tail = self.archive_tail.clone();
        self.with_reader(move |conn| {
            let in_tail = snapshot(conn, &tail, |t| t.select(&q, false, None).len() as u64)?;
            let counted = (|| {
                let (filter, params) = filter(&q, false);
                let mut stmt = conn
                    .prepare_cached(&format!("SELECT COUNT(*) FROM archive_index i WHERE {filter}"))
                    .map_err(db_err)?;
                stmt.query_row(rusqlite::params_from_iter(params), |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
                    .map_err(db_err)
            })();
            Ok(end_read(conn, counted)? + in_tail)
        })
        .await
    }

    async fn archive_after(&self, after: i64, upto: i64, limit: usize) -> Result<Vec<ArchivedMessage>, StoreError> {
        if upto <= after {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_reader(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM archive WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3"
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map(rusqlite::params![after, upto, limit], row)
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn archive_max_id(&self) -> Result<i64, StoreError> {
        self.with_reader(|conn| {
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM archive", [], |r| r.get(0))
                .map_err(db_err)
        })
        .await
    }

    async fn delete_archive(&self, owner: &str) -> Result<u64, StoreError> {
        let (ack, done) = oneshot::channel();
        self.to_writer(Command::Delete(owner.to_owned(), ack)).await?;
        done.await.map_err(|_| writer_stopped())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(id: i64, owner: &str) -> ArchivedMessage {
        crate::store::conformance::msg(id, owner, "peer@localhost", id)
    }

    #[test]
    fn the_tail_keeps_each_owner_in_id_order_and_knows_its_lowest_id_left() {
        let mut t = Tail::default();
        for (id, owner) in [(5, "a"), (9, "b"), (3, "a"), (7, "b"), (4, "a")] {
            t.insert(&message(id, owner));
        }
        let ids = |t: &Tail, o: &str| t.by_owner[o].iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(ids(&t, "a"), [3, 4, 5]);
        assert_eq!(ids(&t, "b"), [7, 9]);
        assert_eq!((t.len, t.max_id), (5, 9));
        // A chunk that takes a's first two entries leaves 5 as the lowest id.
        assert_eq!(t.lowest_left(&[("a".into(), 2)]), Some(5));
        assert_eq!(t.lowest_left(&[("a".into(), 3)]), Some(7));
        assert_eq!(t.lowest_left(&[("a".into(), 3), ("b".into(), 2)]), None);
        t.remove_first("a", 3);
        assert_eq!((t.len, t.by_owner.contains_key("a")), (2, false));
        assert_eq!(t.remove_owner("b"), [7, 9]);
        assert_eq!(t.len, 0);
    }
}
