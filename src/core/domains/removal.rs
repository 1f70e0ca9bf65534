//! Deleting a removed domain's data in bounded batches: its accounts (each with
//! everything that follows an account's removal), then the rooms of its MUC Light and
//! MUC services with their archives, then its row. Every step is idempotent, so a
//! removal interrupted by a crash (or run by two nodes) finishes when run again.

use super::DomainError;
use crate::core::Core;
use crate::store::StoreError;
use std::sync::Arc;

/// Accounts or rooms deleted per batch.
const BATCH: usize = 100;

pub(super) async fn run(core: Arc<Core>, domain: String) -> Result<(), DomainError> {
    let result = remove_data(&core, &domain).await;
    match &result {
        Ok(()) => tracing::info!(%domain, "domain removed with its data"),
        Err(e) => tracing::error!(%domain, error = %e, "domain removal stopped; it resumes at the next start"),
    }
    result
}

async fn remove_data(core: &Core, domain: &str) -> Result<(), DomainError> {
    loop {
        let batch = core.stores.accounts.list_accounts(domain, None, Some(BATCH)).await?;
        if batch.is_empty() {
            break;
        }
        for jid in &batch {
            match core.stores.accounts.delete_account(jid).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // What depends on the accounts goes as for any removal (the change log).
        core.settle_account_changes().await;
    }
    if let Some(m) = &core.muc_light {
        let service = m.domain_for(domain);
        loop {
            let rooms = core.stores.rooms.rooms_on(&service, BATCH).await?;
            if rooms.is_empty() {
                break;
            }
            for room in rooms {
                let Ok(jid) = jid::BareJid::new(&room) else { continue };
                match crate::core::muc_light::destroy_by_service(core, &jid).await {
                    Ok(()) => {}
                    Err(crate::core::muc_light::RoomError::Refused(_)) => {}
                    Err(crate::core::muc_light::RoomError::Route(e)) => {
                        return Err(StoreError::Failed(crate::store::Cause::msg(e.to_string())).into())
                    }
                }
            }
        }
    }
    if let Some(m) = &core.muc {
        let service = m.domain_for(domain);
        for record in core.stores.muc.muc_rooms(&service).await? {
            core.stores.muc.delete_muc_room(&record.jid).await?;
            core.stores.archive.delete_archive(&record.jid).await?;
        }
        m.forget_service(&service);
    }
    match core.stores.domains.delete_domain(domain).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    // What is stored now decides: the domain may have been added again meanwhile.
    core.sync_domains().await?;
    core.domains_changed().await;
    Ok(())
}
