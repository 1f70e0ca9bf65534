//! [`MucStore`] on PostgreSQL: `muc_rooms`, one row per persistent room, and
//! `muc_affiliations`, one row per affiliated user, deleted with their room.
//!
//! A room is replaced whole in one transaction: the upsert of its row locks that row
//! first, so two nodes writing one room queue behind each other and the later write
//! replaces the earlier one's affiliations entirely (never a mix of the two). A listing
//! is one statement, so it sees every room as of one snapshot.

use super::{now_ms, PgStore};
use crate::store::{MucAffiliation, MucRoomRecord, MucStore, StoreError};
use async_trait::async_trait;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE muc_rooms (
    jid TEXT COLLATE "C" PRIMARY KEY,
    service TEXT COLLATE "C" NOT NULL,
    config TEXT NOT NULL,
    subject TEXT NOT NULL,
    subject_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX muc_rooms_by_service ON muc_rooms (service, jid);
CREATE TABLE muc_affiliations (
    room TEXT COLLATE "C" NOT NULL REFERENCES muc_rooms (jid) ON DELETE CASCADE,
    member TEXT COLLATE "C" NOT NULL,
    affiliation TEXT NOT NULL,
    PRIMARY KEY (room, member)
);
"#;

#[async_trait]
impl MucStore for PgStore {
    async fn put_muc_room(&self, room: &MucRoomRecord) -> Result<(), StoreError> {
        room.check()?;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        self.timed(tx.execute(
            "INSERT INTO muc_rooms (jid, service, config, subject, subject_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (jid) DO UPDATE SET service = excluded.service, config = excluded.config,
               subject = excluded.subject, subject_by = excluded.subject_by, updated_at = excluded.updated_at",
            &[
                &room.jid,
                &room.service,
                &room.config,
                &room.subject,
                &room.subject_by,
                &now_ms(),
            ],
        ))
        .await?;
        self.timed(tx.execute("DELETE FROM muc_affiliations WHERE room = $1", &[&room.jid]))
            .await?;
        if !room.affiliations.is_empty() {
            let users: Vec<&str> = room.affiliations.iter().map(|a| a.user.as_str()).collect();
            let affiliations: Vec<&str> = room.affiliations.iter().map(|a| a.affiliation.as_str()).collect();
            self.timed(tx.execute(
                "INSERT INTO muc_affiliations (room, member, affiliation)
                 SELECT $1, * FROM UNNEST($2::TEXT[], $3::TEXT[])",
                &[&room.jid, &users, &affiliations],
            ))
            .await?;
        }
        self.timed(tx.commit()).await
    }

    async fn delete_muc_room(&self, jid: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        // The affiliations go with the room (`ON DELETE CASCADE`).
        self.timed(client.execute("DELETE FROM muc_rooms WHERE jid = $1", &[&jid]))
            .await
            .map(|_| ())
    }

    async fn muc_rooms(&self, service: &str) -> Result<Vec<MucRoomRecord>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                "SELECT r.jid, r.service, r.config, r.subject, r.subject_by, a.member, a.affiliation
                 FROM muc_rooms r LEFT JOIN muc_affiliations a ON a.room = r.jid
                 WHERE r.service = $1 ORDER BY r.jid, a.member",
                &[&service],
            ))
            .await?;
        let mut rooms: Vec<MucRoomRecord> = Vec::new();
        for row in &rows {
            let jid: String = row.get(0);
            if rooms.last().is_none_or(|r| r.jid != jid) {
                rooms.push(MucRoomRecord {
                    jid,
                    service: row.get(1),
                    config: row.get(2),
                    subject: row.get(3),
                    subject_by: row.get(4),
                    affiliations: Vec::new(),
                });
            }
            // A room without affiliations comes as one row with NULLs for them.
            if let (Some(user), Some(affiliation), Some(room)) = (
                row.get::<_, Option<String>>(5),
                row.get::<_, Option<String>>(6),
                rooms.last_mut(),
            ) {
                room.affiliations.push(MucAffiliation { user, affiliation });
            }
        }
        Ok(rooms)
    }
}
