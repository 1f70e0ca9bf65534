//! [`RoomStore`] (MUC Light) on PostgreSQL: the `rooms` table and `room_occupants`, one
//! row per occupant with its place in the join order, deleted with their room.
//!
//! The compare-and-set is one statement: `UPDATE … WHERE jid = $1 AND version = $2` (or
//! the same `DELETE`). It locks the room's row, so of two nodes changing the room from
//! one version, the second waits for the first to commit, then finds the version changed
//! and touches nothing ([`StoreError::Conflict`]). The occupants are replaced in the same
//! transaction, under that row lock; a reader sees a room and its occupants from one
//! statement, so never half a change.

use super::PgStore;
use crate::store::{Affiliation, Cause, Occupant, Room, RoomStore, RoomSummary, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE rooms (
    jid TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    version TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE room_occupants (
    room TEXT COLLATE "C" NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
    occupant TEXT COLLATE "C" NOT NULL,
    affiliation TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (room, occupant)
);
CREATE INDEX room_occupants_by_user ON room_occupants (occupant, room);
"#;

/// Writes the occupants of `room`, numbered in their order; the room has none yet.
async fn insert_occupants(store: &PgStore, tx: &Transaction<'_>, room: &Room) -> Result<(), StoreError> {
    if room.occupants.is_empty() {
        return Ok(());
    }
    let users: Vec<&str> = room.occupants.iter().map(|o| o.user.as_str()).collect();
    let affiliations: Vec<&str> = room.occupants.iter().map(|o| o.affiliation.as_str()).collect();
    let positions: Vec<i64> = (0..room.occupants.len())
        .map(|p| i64::try_from(p).unwrap_or(i64::MAX))
        .collect();
    store
        .timed(tx.execute(
            "INSERT INTO room_occupants (room, occupant, affiliation, position)
             SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[], $4::BIGINT[])",
            &[&room.jid, &users, &affiliations, &positions],
        ))
        .await
        .map(|_| ())
}

/// Why a compare-and-set on room `jid` touched nothing: the room is gone, or it is at
/// another version.
async fn cas_failure(store: &PgStore, tx: &Transaction<'_>, jid: &str) -> StoreError {
    match store
        .timed(tx.query_opt("SELECT 1 FROM rooms WHERE jid = $1", &[&jid]))
        .await
    {
        Ok(Some(_)) => StoreError::Conflict,
        Ok(None) => StoreError::NotFound,
        Err(e) => e,
    }
}

fn read_summary(row: &Row) -> RoomSummary {
    RoomSummary {
        jid: row.get(0),
        name: row.get(1),
        subject: row.get(2),
        version: row.get(3),
    }
}

#[async_trait]
impl RoomStore for PgStore {
    async fn create_room(&self, room: &Room) -> Result<(), StoreError> {
        room.check()?;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let created = self
            .timed(tx.execute(
                "INSERT INTO rooms (jid, name, subject, version, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (jid) DO NOTHING",
                &[&room.jid, &room.name, &room.subject, &room.version, &super::now_ms()],
            ))
            .await?;
        if created == 0 {
            return Err(StoreError::Conflict);
        }
        insert_occupants(self, &tx, room).await?;
        self.timed(tx.commit()).await
    }

    async fn room(&self, jid: &str) -> Result<Option<Room>, StoreError> {
        let client = self.client().await?;
        // One statement, so the row and its occupants come from one snapshot.
        let rows = self
            .timed(client.query(
                "SELECT r.jid, r.name, r.subject, r.version, o.occupant, o.affiliation
                 FROM rooms r LEFT JOIN room_occupants o ON o.room = r.jid
                 WHERE r.jid = $1 ORDER BY o.position",
                &[&jid],
            ))
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let s = read_summary(first);
        let mut occupants = Vec::with_capacity(rows.len());
        for row in &rows {
            // A room without occupants comes as one row of NULLs.
            let Some(user) = row.get::<_, Option<String>>(4) else {
                continue;
            };
            let affiliation: String = row.get(5);
            // Written by us from `Affiliation::as_str`; anything else is a damaged database.
            let affiliation = Affiliation::parse(&affiliation).ok_or_else(|| {
                StoreError::Failed(Cause::msg(format!(
                    "unknown affiliation {affiliation:?} of {user} in room {jid}"
                )))
            })?;
            occupants.push(Occupant { user, affiliation });
        }
        Ok(Some(Room {
            jid: s.jid,
            name: s.name,
            subject: s.subject,
            version: s.version,
            occupants,
        }))
    }

    async fn update_room(&self, expected_version: &str, room: &Room) -> Result<(), StoreError> {
        room.check()?;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        let updated = self
            .timed(tx.execute(
                "UPDATE rooms SET name = $3, subject = $4, version = $5 WHERE jid = $1 AND version = $2",
                &[&room.jid, &expected_version, &room.name, &room.subject, &room.version],
            ))
            .await?;
        if updated == 0 {
            return Err(cas_failure(self, &tx, &room.jid).await);
        }
        self.timed(tx.execute("DELETE FROM room_occupants WHERE room = $1", &[&room.jid]))
            .await?;
        insert_occupants(self, &tx, room).await?;
        self.timed(tx.commit()).await
    }

    async fn delete_room(&self, jid: &str, expected_version: &str) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // The occupants go with the room (`ON DELETE CASCADE`).
        let deleted = self
            .timed(tx.execute(
                "DELETE FROM rooms WHERE jid = $1 AND version = $2",
                &[&jid, &expected_version],
            ))
            .await?;
        if deleted == 0 {
            return Err(cas_failure(self, &tx, jid).await);
        }
        self.timed(tx.commit()).await
    }

    async fn rooms_on(&self, service: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let client = self.client().await?;
        let suffix = format!("@{service}");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .timed(client.query(
                "SELECT jid FROM rooms WHERE right(jid, length($1)) = $1 ORDER BY jid LIMIT $2",
                &[&suffix, &limit],
            ))
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn rooms_of(&self, user: &str) -> Result<Vec<RoomSummary>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT r.jid, r.name, r.subject, r.version
                 FROM room_occupants o JOIN rooms r ON r.jid = o.room
                 WHERE o.occupant = $1 ORDER BY o.room",
                &[&user],
            ))
            .await?;
        Ok(rows.iter().map(read_summary).collect())
    }

    async fn count_rooms_of(&self, user: &str) -> Result<usize, StoreError> {
        let client = self.client().await?;
        let n: i64 = self
            .timed(client.query_one("SELECT COUNT(*) FROM room_occupants WHERE occupant = $1", &[&user]))
            .await?
            .get(0);
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}
