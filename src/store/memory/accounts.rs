//! [`AccountStore`] in memory: credentials by JID and the change log, in order.

use super::{Data, MemoryStore};
use crate::store::{AccountChange, AccountChangeKind, AccountStore, Credentials, StoreError};
use async_trait::async_trait;

impl Data {
    fn log(&mut self, jid: &str, kind: AccountChangeKind) {
        let seq = self.changes.last().map_or(0, |c| c.seq) + 1;
        self.changes.push(AccountChange {
            seq,
            jid: jid.to_owned(),
            kind,
            applied: !kind.needs_applying(),
        });
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_account(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError> {
        let mut d = self.data();
        if d.accounts.contains_key(jid) {
            return Err(StoreError::Conflict);
        }
        d.accounts.insert(jid.to_owned(), credentials.clone());
        d.log(jid, AccountChangeKind::Created);
        Ok(())
    }

    async fn credentials(&self, jid: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(self.data().accounts.get(jid).cloned())
    }

    async fn set_credentials(&self, jid: &str, credentials: &Credentials) -> Result<(), StoreError> {
        let mut d = self.data();
        let slot = d.accounts.get_mut(jid).ok_or(StoreError::NotFound)?;
        *slot = credentials.clone();
        d.log(jid, AccountChangeKind::PasswordChanged);
        Ok(())
    }

    async fn delete_account(&self, jid: &str) -> Result<(), StoreError> {
        let mut d = self.data();
        d.accounts.remove(jid).ok_or(StoreError::NotFound)?;
        d.log(jid, AccountChangeKind::Removed);
        Ok(())
    }

    async fn list_accounts(
        &self,
        domain: &str,
        after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<String>, StoreError> {
        let suffix = format!("@{domain}");
        let mut jids: Vec<String> = self
            .data()
            .accounts
            .keys()
            .filter(|j| j.ends_with(&suffix) && after.is_none_or(|a| j.as_str() > a))
            .cloned()
            .collect();
        jids.sort();
        jids.truncate(limit.unwrap_or(usize::MAX));
        Ok(jids)
    }

    async fn count_accounts(&self, domain: &str) -> Result<u64, StoreError> {
        let suffix = format!("@{domain}");
        Ok(self.data().accounts.keys().filter(|j| j.ends_with(&suffix)).count() as u64)
    }

    async fn account_changes(&self, after: i64) -> Result<Vec<AccountChange>, StoreError> {
        Ok(self.data().changes.iter().filter(|c| c.seq > after).cloned().collect())
    }

    async fn unapplied_account_changes(&self) -> Result<Vec<AccountChange>, StoreError> {
        Ok(self.data().changes.iter().filter(|c| !c.applied).cloned().collect())
    }

    async fn mark_account_change_applied(&self, seq: i64) -> Result<(), StoreError> {
        let mut d = self.data();
        let change = d
            .changes
            .iter_mut()
            .find(|c| c.seq == seq)
            .ok_or(StoreError::NotFound)?;
        change.applied = true;
        Ok(())
    }

    async fn last_account_change(&self) -> Result<i64, StoreError> {
        Ok(self.data().changes.last().map_or(0, |c| c.seq))
    }
}
