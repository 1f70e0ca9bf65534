//! [`UploadStore`] on PostgreSQL: the `uploads` table, one row per slot.
//!
//! The quota holds across nodes: a reservation takes a transaction-scoped advisory lock
//! on its owner, then sums the owner's sizes and inserts in the same transaction, so two
//! reservations of one owner (on any node) run one after the other and the second sees
//! the first's row. Completing a slot is one conditional `UPDATE`, so it happens once.

use super::PgStore;
use crate::store::{Cause, DueUploads, StoreError, Upload, UploadStore};
use async_trait::async_trait;
use tokio_postgres::Row;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE uploads (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    put_until_ms BIGINT NOT NULL,
    uploaded_ms BIGINT
);
CREATE INDEX uploads_by_owner ON uploads (owner);
CREATE INDEX uploads_pending ON uploads (put_until_ms) WHERE uploaded_ms IS NULL;
CREATE INDEX uploads_by_age ON uploads (uploaded_ms) WHERE uploaded_ms IS NOT NULL;
"#;

const COLUMNS: &str = "id, owner, filename, size, content_type, created_ms, put_until_ms, uploaded_ms";

fn read_upload(row: &Row) -> Upload {
    Upload {
        id: row.get(0),
        owner: row.get(1),
        filename: row.get(2),
        size: row.get::<_, i64>(3).max(0) as u64,
        content_type: row.get(4),
        created_ms: row.get(5),
        put_until_ms: row.get(6),
        uploaded_ms: row.get(7),
    }
}

/// BIGINT is signed; a size beyond `i64::MAX` cannot be a real file.
fn size_column(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Failed(Cause::msg(format!("upload size {size} is out of range"))))
}

#[async_trait]
impl UploadStore for PgStore {
    async fn reserve_upload(&self, upload: &Upload, quota: u64) -> Result<(), StoreError> {
        let size = size_column(upload.size)?;
        let mut client = self.client().await?;
        let tx = self.timed(client.transaction()).await?;
        // Reservations of one owner queue here until the holder commits or rolls back.
        self.lock(&tx, "uploads", &upload.owner).await?;
        // The sum is NUMERIC: no overflow whatever the recorded sizes. A quota beyond
        // `i64::MAX` bytes is as good as none.
        let quota = i64::try_from(quota).unwrap_or(i64::MAX);
        let over: bool = self
            .timed(tx.query_one(
                "SELECT COALESCE(SUM(size), 0) + $2::BIGINT > $3::BIGINT FROM uploads WHERE owner = $1",
                &[&upload.owner, &size, &quota],
            ))
            .await?
            .get(0);
        if over {
            return Err(StoreError::LimitReached);
        }
        // The primary key refuses a taken id: `pg_err` makes that a Conflict.
        self.timed(tx.execute(
            &format!("INSERT INTO uploads ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
            &[
                &upload.id,
                &upload.owner,
                &upload.filename,
                &size,
                &upload.content_type,
                &upload.created_ms,
                &upload.put_until_ms,
                &upload.uploaded_ms,
            ],
        ))
        .await?;
        self.timed(tx.commit()).await
    }

    async fn upload(&self, id: &str) -> Result<Option<Upload>, StoreError> {
        let client = self.client().await?;
        let row = self
            .timed(client.query_opt(&format!("SELECT {COLUMNS} FROM uploads WHERE id = $1"), &[&id]))
            .await?;
        Ok(row.as_ref().map(read_upload))
    }

    async fn complete_upload(&self, id: &str, at_ms: i64) -> Result<(), StoreError> {
        let client = self.client().await?;
        // One statement: whether the update took, and (from the statement's snapshot,
        // before the update) whether the row exists, to tell "gone" from "done already".
        let row = self
            .timed(client.query_one(
                "WITH done AS (
                     UPDATE uploads SET uploaded_ms = $2 WHERE id = $1 AND uploaded_ms IS NULL RETURNING 1
                 )
                 SELECT EXISTS (SELECT 1 FROM done), EXISTS (SELECT 1 FROM uploads WHERE id = $1)",
                &[&id, &at_ms],
            ))
            .await?;
        let (updated, exists): (bool, bool) = (row.get(0), row.get(1));
        match (updated, exists) {
            (true, _) => Ok(()),
            (false, true) => Err(StoreError::Conflict),
            (false, false) => Err(StoreError::NotFound),
        }
    }

    async fn delete_upload(&self, id: &str) -> Result<(), StoreError> {
        let client = self.client().await?;
        self.timed(client.execute("DELETE FROM uploads WHERE id = $1", &[&id]))
            .await
            .map(drop)
    }

    async fn due_uploads(&self, due: DueUploads) -> Result<Vec<Upload>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(due.limit).unwrap_or(i64::MAX);
        // Two indexed range scans: pending slots by deadline, finished uploads by age.
        let pending = self
            .timed(client.query(
                &format!(
                    "SELECT {COLUMNS} FROM uploads WHERE uploaded_ms IS NULL AND put_until_ms < $1
                     ORDER BY put_until_ms LIMIT $2"
                ),
                &[&due.put_until_before_ms, &limit],
            ))
            .await?;
        let mut out: Vec<Upload> = pending.iter().map(read_upload).collect();
        if let Some(before) = due.uploaded_before_ms {
            let left = limit - out.len() as i64;
            if left > 0 {
                let expired = self
                    .timed(client.query(
                        &format!(
                            "SELECT {COLUMNS} FROM uploads WHERE uploaded_ms IS NOT NULL AND uploaded_ms < $1
                             ORDER BY uploaded_ms LIMIT $2"
                        ),
                        &[&before, &left],
                    ))
                    .await?;
                out.extend(expired.iter().map(read_upload));
            }
        }
        Ok(out)
    }

    async fn uploads_of(&self, owner: &str) -> Result<Vec<Upload>, StoreError> {
        let client = self.client().await?;
        let rows = self
            .timed(client.query(
                &format!("SELECT {COLUMNS} FROM uploads WHERE owner = $1 ORDER BY id"),
                &[&owner],
            ))
            .await?;
        Ok(rows.iter().map(read_upload).collect())
    }
}
