//! [`UploadStore`] on SQLite: the `uploads` table, one row per slot. A reservation sums
//! the owner's sizes and inserts in one IMMEDIATE transaction, so the quota holds against
//! every other connection and process.

use super::{db_err, SqliteStore};
use crate::store::{Cause, DueUploads, StoreError, Upload, UploadStore};
use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

const COLUMNS: &str = "id, owner, filename, size, content_type, created_ms, put_until_ms, uploaded_ms";

fn read_upload(row: &rusqlite::Row<'_>) -> rusqlite::Result<Upload> {
    Ok(Upload {
        id: row.get(0)?,
        owner: row.get(1)?,
        filename: row.get(2)?,
        size: row.get::<_, i64>(3)?.max(0) as u64,
        content_type: row.get(4)?,
        created_ms: row.get(5)?,
        put_until_ms: row.get(6)?,
        uploaded_ms: row.get(7)?,
    })
}

/// SQLite integers are signed; a size beyond `i64::MAX` cannot be a real file.
fn size_column(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Failed(Cause::msg(format!("upload size {size} is out of range"))))
}

#[async_trait]
impl UploadStore for SqliteStore {
    async fn reserve_upload(&self, upload: &Upload, quota: u64) -> Result<(), StoreError> {
        let upload = upload.clone();
        let size = size_column(upload.size)?;
        self.with_conn(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let used: i64 = tx
                .prepare_cached("SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner = ?1")
                .and_then(|mut s| s.query_row([&upload.owner], |r| r.get(0)))
                .map_err(db_err)?;
            if (used.max(0) as u64).saturating_add(upload.size) > quota {
                return Err(StoreError::LimitReached);
            }
            // The primary key refuses a taken id: `db_err` makes that a Conflict.
            tx.execute(
                &format!("INSERT INTO uploads ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    upload.id,
                    upload.owner,
                    upload.filename,
                    size,
                    upload.content_type,
                    upload.created_ms,
                    upload.put_until_ms,
                    upload.uploaded_ms
                ],
            )
            .map_err(db_err)?;
            tx.commit().map_err(db_err)
        })
        .await
    }

    async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM uploads WHERE id = ?1"))
                .and_then(|mut s| s.query_row([&id], read_upload).optional())
                .map_err(db_err)
        })
        .await
    }

    async fn complete_upload(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE uploads SET uploaded_ms = ?2 WHERE id = ?1 AND uploaded_ms IS NULL",
                    params![id, at_ms],
                )
                .map_err(db_err)?;
            if changed == 1 {
                return Ok(());
            }
            // Nothing changed: tell a missing row from one uploaded already.
            let exists = conn
                .prepare_cached("SELECT 1 FROM uploads WHERE id = ?1")
                .and_then(|mut s| s.exists([&id]))
                .map_err(db_err)?;
            Err(if exists {
                StoreError::Conflict
            } else {
                StoreError::NotFound
            })
        })
        .await
    }

    async fn delete_upload(&self, id: &str) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.with_conn(move |conn| {
            conn.execute("DELETE FROM uploads WHERE id = ?1", [&id])
                .map_err(db_err)
                .map(drop)
        })
        .await
    }

    async fn due_uploads(&self, due: DueUploads) -> Result<Vec<Upload>, StoreError> {
        self.with_conn(move |conn| {
            let limit = due.limit.min(i64::MAX as usize) as i64;
            // Two indexed range scans: pending slots by deadline, finished uploads by age.
            let mut out = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM uploads WHERE uploaded_ms IS NULL AND put_until_ms < ?1 \
                     ORDER BY put_until_ms LIMIT ?2"
                ))
                .and_then(|mut s| {
                    s.query_map(params![due.put_until_before_ms, limit], read_upload)?
                        .collect::<Result<Vec<_>, _>>()
                })
                .map_err(db_err)?;
            if let Some(before) = due.uploaded_before_ms {
                let left = limit - out.len() as i64;
                if left > 0 {
                    let expired = conn
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM uploads WHERE uploaded_ms IS NOT NULL AND uploaded_ms < ?1 \
                             ORDER BY uploaded_ms LIMIT ?2"
                        ))
                        .and_then(|mut s| {
                            s.query_map(params![before, left], read_upload)?
                                .collect::<Result<Vec<_>, _>>()
                        })
                        .map_err(db_err)?;
                    out.extend(expired);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn uploads_of(&self, owner: &str) -> Result<Vec<Upload>, StoreError> {
        let owner = owner.to_owned();
        self.with_conn(move |conn| {
            conn.prepare_cached(&format!("SELECT {COLUMNS} FROM uploads WHERE owner = ?1 ORDER BY id"))
                .and_then(|mut s| s.query_map([&owner], read_upload)?.collect::<Result<Vec<_>, _>>())
                .map_err(db_err)
        })
        .await
    }
}
