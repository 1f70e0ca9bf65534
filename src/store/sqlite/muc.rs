//! [`MucStore`] on SQLite: `muc_rooms`, one row per persistent room, and
//! `muc_affiliations`, one row per affiliated user, deleted with their room. A room is
//! replaced whole in one transaction.

use super::{db_err, now_ms, SqliteStore};
use crate::store::{MucAffiliation, MucRoomRecord, MucStore, StoreError};
use async_trait::async_trait;
use rusqlite::{params, Connection};

fn affiliations_of(conn: &Connection, room: &str) -> Result<Vec<MucAffiliation>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT user, affiliation FROM muc_affiliations WHERE room = ?1 ORDER BY user")
        .map_err(db_err)?;
    let rows = stmt
        .query_map([room], |r| {
            Ok(MucAffiliation {
                user: r.get(0)?,
                affiliation: r.get(1)?,
            })
        })
        .map_err(db_err)?;
    rows.collect::<Result<_, _>>().map_err(db_err)
}

#[async_trait]
impl MucStore for SqliteStore {
    async fn put_muc_room(&self, room: &MucRoomRecord) -> Result<(), StoreError> {
        room.check()?;
        let room = room.clone();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            tx.execute(
                "INSERT INTO muc_rooms (jid, service, config, subject, subject_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (jid) DO UPDATE SET service = excluded.service, config = excluded.config,
                   subject = excluded.subject, subject_by = excluded.subject_by, updated_at = excluded.updated_at",
                params![
                    room.jid,
                    room.service,
                    room.config,
                    room.subject,
                    room.subject_by,
                    now_ms()
                ],
            )
            .map_err(db_err)?;
            tx.execute("DELETE FROM muc_affiliations WHERE room = ?1", [&room.jid])
                .map_err(db_err)?;
            {
                let mut stmt = tx
                    .prepare_cached("INSERT INTO muc_affiliations (room, user, affiliation) VALUES (?1, ?2, ?3)")
                    .map_err(db_err)?;
                for a in &room.affiliations {
                    stmt.execute(params![room.jid, a.user, a.affiliation]).map_err(db_err)?;
                }
            }
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn delete_muc_room(&self, jid: &str) -> Result<(), StoreError> {
        let jid = jid.to_owned();
        self.with_conn(move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            tx.execute("DELETE FROM muc_affiliations WHERE room = ?1", [&jid])
                .map_err(db_err)?;
            tx.execute("DELETE FROM muc_rooms WHERE jid = ?1", [&jid])
                .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn muc_rooms(&self, service: &str) -> Result<Vec<MucRoomRecord>, StoreError> {
        let service = service.to_owned();
        self.with_conn(move |conn| {
            let rooms = {
                let mut stmt = conn
                    .prepare_cached(
                        "SELECT jid, service, config, subject, subject_by FROM muc_rooms
                         WHERE service = ?1 ORDER BY jid",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([&service], |r| {
                        Ok(MucRoomRecord {
                            jid: r.get(0)?,
                            service: r.get(1)?,
                            config: r.get(2)?,
                            subject: r.get(3)?,
                            subject_by: r.get(4)?,
                            affiliations: Vec::new(),
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)?
            };
            rooms
                .into_iter()
                .map(|mut r| {
                    r.affiliations = affiliations_of(conn, &r.jid)?;
                    Ok(r)
                })
                .collect()
        })
        .await
    }
}
