//! The files: one per upload, named by its slot id (random hex, never the user's file
//! name) in the upload directory. A PUT is written to `<id>.part`, flushed to disk, then
//! renamed to `<id>`; a file only counts as uploaded once its record says so, so a
//! half-written or not yet recorded file is never served.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;

/// The upload directory.
pub(crate) struct Files {
    dir: PathBuf,
}

/// Whether `id` can name a file: lowercase hex only, so it never leaves the directory.
pub(crate) fn valid_id(id: &str) -> bool {
    (16..=256).contains(&id.len()) && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Files {
    /// Uses `dir`, creating it if needed.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Files { dir: dir.to_owned() })
    }

    fn path(&self, id: &str) -> PathBuf {
        debug_assert!(valid_id(id));
        self.dir.join(id)
    }

    fn part_path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.part"))
    }

    /// Starts writing the file of `id` (replacing a part left by an earlier attempt).
    pub async fn create(&self, id: &str, expected: u64, claim: Claim) -> std::io::Result<PutFile> {
        let part = self.part_path(id);
        let file = tokio::fs::File::create(&part).await?;
        Ok(PutFile {
            file,
            part,
            path: self.path(id),
            expected,
            written: 0,
            renamed: false,
            _claim: claim,
        })
    }

    /// Opens the finished file of `id` with its length.
    pub async fn open_file(&self, id: &str) -> std::io::Result<(tokio::fs::File, u64)> {
        let file = tokio::fs::File::open(self.path(id)).await?;
        let len = file.metadata().await?.len();
        Ok((file, len))
    }

    /// Removes the file of `id` and any part of it; what is not there is fine.
    pub async fn remove(&self, id: &str) -> std::io::Result<()> {
        for p in [self.path(id), self.part_path(id)] {
            match tokio::fs::remove_file(&p).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The ids whose PUT is under way: one PUT per slot at a time, and the expiry sweep
/// leaves them alone.
#[derive(Default, Clone)]
pub(crate) struct InFlight(Arc<Mutex<HashSet<String>>>);

impl InFlight {
    fn set(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // The set stays consistent whatever panicked while holding it.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims `id`; `None` when a PUT of it is already under way.
    pub fn claim(&self, id: &str) -> Option<Claim> {
        self.set().insert(id.to_owned()).then(|| Claim {
            set: self.clone(),
            id: id.to_owned(),
        })
    }

    pub fn contains(&self, id: &str) -> bool {
        self.set().contains(id)
    }
}

/// A claimed id, released when dropped.
pub(crate) struct Claim {
    set: InFlight,
    id: String,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.set.set().remove(&self.id);
    }
}

/// Why a body could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("more than the {0} bytes announced")]
    TooLong(u64),
    #[error("{written} of the {expected} bytes announced")]
    TooShort { expected: u64, written: u64 },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A file being written. Dropped before [`PutFile::commit`] is done, its part is removed.
pub(crate) struct PutFile {
    file: tokio::fs::File,
    part: PathBuf,
    path: PathBuf,
    expected: u64,
    written: u64,
    renamed: bool,
    _claim: Claim,
}

impl PutFile {
    /// Appends `bytes`; refuses to go past the announced size.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        let total = self.written.saturating_add(bytes.len() as u64);
        if total > self.expected {
            return Err(WriteError::TooLong(self.expected));
        }
        self.file.write_all(bytes).await?;
        self.written = total;
        Ok(())
    }

    /// Checks the size, flushes the data to disk and moves it to its final name.
    pub async fn commit(&mut self) -> Result<(), WriteError> {
        if self.written != self.expected {
            return Err(WriteError::TooShort {
                expected: self.expected,
                written: self.written,
            });
        }
        self.file.flush().await?;
        self.file.sync_all().await?;
        tokio::fs::rename(&self.part, &self.path).await?;
        self.renamed = true;
        Ok(())
    }

    /// Removes the renamed file again (its record could not be marked uploaded).
    pub async fn discard(&mut self) {
        let p = if self.renamed { &self.path } else { &self.part };
        if let Err(e) = tokio::fs::remove_file(p).await {
            tracing::warn!(path = %p.display(), error = %e, "cannot remove an unrecorded upload");
        }
        self.renamed = false;
        // Nothing left for `drop` to remove.
        self.part = PathBuf::new();
    }
}

impl Drop for PutFile {
    fn drop(&mut self) {
        if !self.renamed && !self.part.as_os_str().is_empty() {
            // A small synchronous unlink: the body broke off or was refused.
            if let Err(e) = std::fs::remove_file(&self.part) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %self.part.display(), error = %e, "cannot remove a partial upload");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "00112233445566778899aabbccddeeff";

    #[tokio::test]
    async fn a_file_appears_under_its_id_only_once_complete() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::open(&dir.path().join("uploads")).unwrap();
        let flight = InFlight::default();
        let mut f = files.create(ID, 5, flight.claim(ID).unwrap()).await.unwrap();
        assert!(
            flight.claim(ID).is_none(),
            "a second PUT of the same slot waits its turn"
        );
        f.write(b"hel").await.unwrap();
        assert!(matches!(f.commit().await, Err(WriteError::TooShort { written: 3, .. })));
        assert!(matches!(f.write(b"lo!").await, Err(WriteError::TooLong(5))));
        f.write(b"lo").await.unwrap();
        assert!(files.open_file(ID).await.is_err());
        f.commit().await.unwrap();
        drop(f);
        assert!(!flight.contains(ID));
        let (_, len) = files.open_file(ID).await.unwrap();
        assert_eq!(len, 5);
        assert_eq!(std::fs::read(dir.path().join("uploads").join(ID)).unwrap(), b"hello");
        files.remove(ID).await.unwrap();
        files.remove(ID).await.unwrap();
        assert!(files.open_file(ID).await.is_err());
    }

    #[tokio::test]
    async fn an_abandoned_body_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::open(dir.path()).unwrap();
        let flight = InFlight::default();
        let mut f = files.create(ID, 5, flight.claim(ID).unwrap()).await.unwrap();
        f.write(b"he").await.unwrap();
        drop(f);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert!(flight.claim(ID).is_some());
    }

    #[test]
    fn only_hex_ids_name_files() {
        assert!(valid_id(ID));
        for bad in [
            "",
            "abc",
            "../../../../etc/passwd",
            "00112233445566778899AABBCCDDEEFF",
            "0011223344556677.part",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
