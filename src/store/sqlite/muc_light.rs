//! [`RoomStore`] (MUC Light) on SQLite: the `rooms` table and `room_occupants`, one row
//! per occupant with its place in the join order. A change reads the stored version and
//! writes the room in one IMMEDIATE transaction, so the compare-and-set holds against
//! every other connection and process; a room and its occupants are always written
//! together.

use super::{db_err, now_ms, SqliteStore};
use crate::store::{Affiliation, Cause, Occupant, Room, RoomStore, RoomSummary, StoreError};
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// Writes the occupants of `room`, numbered in their order; the room has none yet.
fn insert_occupants(conn: &Connection, room: &Room) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached("INSERT INTO room_occupants (room, user, affiliation, position) VALUES (?1, ?2, ?3, ?4)")
        .map_err(db_err)?;
    for (position, o) in room.occupants.iter().enumerate() {
        stmt.execute(params![room.jid, o.user, o.affiliation.as_str(), position as i64])
            .map_err(db_err)?;
    }
    Ok(())
}

/// Checks that room `jid` is still at `expected_version`, inside the caller's transaction.
fn check_version(conn: &Connection, jid: &str, expected_version: &str) -> Result<(), StoreError> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT version FROM rooms WHERE jid = ?1")
        .and_then(|mut s| s.query_row([jid], |r| r.get(0)).optional())
        .map_err(db_err)?;
    match stored {
        None => Err(StoreError::NotFound),
        Some(v) if v != expected_version => Err(StoreError::Conflict),
        Some(_) => Ok(()),
    }
}

fn read_summary(row: &rusqlite::Row<'_>) -> rusqlite::Result<RoomSummary> {
    Ok(RoomSummary {
        jid: row.get(0)?,
        name: row.get(1)?,
        subject: row.get(2)?,
        version: row.get(3)?,
    })
}

fn get_occupants(conn: &Connection, jid: &str) -> Result<Vec<Occupant>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT user, affiliation FROM room_occupants WHERE room = ?1 ORDER BY position")
        .map_err(db_err)?;
    let rows = stmt
        .query_map([jid], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(db_err)?;
    rows.map(|row| {
        let (user, affiliation) = row.map_err(db_err)?;
        // Written by us from `Affiliation::as_str`; anything else is a damaged database.
        let affiliation = Affiliation::parse(&affiliation).ok_or_else(|| {
            StoreError::Failed(Cause::msg(format!(
                "unknown affiliation {affiliation:?} of {user} in room {jid}"
            )))
        })?;
        Ok(Occupant { user, affiliation })
    })
    .collect()
}

#[async_trait]
impl RoomStore for SqliteStore {
    async fn create_room(&self, room: &Room) -> Result<(), StoreError> {
        room.check()?;
        let room = room.clone();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            // The primary key refuses a taken JID: `db_err` makes that a Conflict.
            tx.execute(
                "INSERT INTO rooms (jid, name, subject, version, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![room.jid, room.name, room.subject, room.version, now_ms()],
            )
            .map_err(db_err)?;
            insert_occupants(&tx, &room)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn room(&self, jid: &str) -> Result<Option<Room>, StoreError> {
        let jid = jid.to_owned();
        self.with_conn(move |conn| {
            // One read transaction: the row and its occupants from the same snapshot.
            let tx = conn.transaction().map_err(db_err)?;
            let row = tx
                .prepare_cached("SELECT jid, name, subject, version FROM rooms WHERE jid = ?1")
                .and_then(|mut s| s.query_row([&jid], read_summary).optional())
                .map_err(db_err)?;
            let Some(s) = row else { return Ok(None) };
            let occupants = get_occupants(&tx, &jid)?;
            Ok(Some(Room {
                jid: s.jid,
                name: s.name,
                subject: s.subject,
                version: s.version,
                occupants,
            }))
        })
        .await
    }

    async fn update_room(&self, expected_version: &str, room: &Room) -> Result<(), StoreError> {
        room.check()?;
        let (expected_version, room) = (expected_version.to_owned(), room.clone());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            check_version(&tx, &room.jid, &expected_version)?;
            tx.execute(
                "UPDATE rooms SET name = ?2, subject = ?3, version = ?4 WHERE jid = ?1",
                params![room.jid, room.name, room.subject, room.version],
            )
            .map_err(db_err)?;
            tx.execute("DELETE FROM room_occupants WHERE room = ?1", [&room.jid])
                .map_err(db_err)?;
            insert_occupants(&tx, &room)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn delete_room(&self, jid: &str, expected_version: &str) -> Result<(), StoreError> {
        let (jid, expected_version) = (jid.to_owned(), expected_version.to_owned());
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            check_version(&tx, &jid, &expected_version)?;
            tx.execute("DELETE FROM room_occupants WHERE room = ?1", [&jid])
                .map_err(db_err)?;
            tx.execute("DELETE FROM rooms WHERE jid = ?1", [&jid]).map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn rooms_on(&self, service: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let suffix = format!("@{service}");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with_conn(move |conn| {
            // `jid` sorts by local part first, so the suffix is a scan; a removal reads
            // a batch at a time.
            let mut stmt = conn
                .prepare_cached("SELECT jid FROM rooms WHERE substr(jid, -length(?1)) = ?1 ORDER BY jid LIMIT ?2")
                .map_err(db_err)?;
            let rows = stmt
                .query_map(rusqlite::params![suffix, limit], |r| r.get::<_, String>(0))
                .map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn rooms_of(&self, user: &str) -> Result<Vec<RoomSummary>, StoreError> {
        let user = user.to_owned();
        self.with_conn(move |conn| {
            // `room_occupants_by_user` yields the user's rooms already in JID order.
            let mut stmt = conn
                .prepare_cached(
                    "SELECT r.jid, r.name, r.subject, r.version
                     FROM room_occupants o JOIN rooms r ON r.jid = o.room
                     WHERE o.user = ?1 ORDER BY o.room",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map([&user], read_summary).map_err(db_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
        })
        .await
    }

    async fn count_rooms_of(&self, user: &str) -> Result<usize, StoreError> {
        let user = user.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM room_occupants WHERE user = ?1")
                .and_then(|mut s| s.query_row([&user], |r| r.get(0)))
                .map_err(db_err)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unknown_affiliation_in_the_database_is_a_failure_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let room = Room {
            jid: "tea@muclight.localhost".into(),
            name: "Tea".into(),
            subject: String::new(),
            version: "v1".into(),
            occupants: vec![Occupant {
                user: "alice@localhost".into(),
                affiliation: Affiliation::Owner,
            }],
        };
        store.create_room(&room).await.unwrap();
        store
            .conn
            .lock()
            .unwrap()
            .execute("UPDATE room_occupants SET affiliation = 'admin'", [])
            .unwrap();
        let read = store.room("tea@muclight.localhost").await;
        assert!(matches!(read, Err(StoreError::Failed(_))), "{read:?}");
        // Listings do not read affiliations, so they keep working.
        assert_eq!(store.count_rooms_of("alice@localhost").await.unwrap(), 1);
    }
}
