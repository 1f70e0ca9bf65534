//! `/domains`: domains added, read, enabled or disabled and removed while the server
//! runs, through `core::domains` (which also tells every node of a cluster).

use super::internal;
use crate::core::domains::{self, DomainError, DomainInfo, DomainStatus};
use crate::core::Core;
use meerkat_admin_api as api;
use std::sync::Arc;
use swagger::ApiError;

fn model(d: DomainInfo) -> api::models::Domain {
    use api::models::DomainStatus as S;
    let status = match d.status {
        DomainStatus::Enabled => S::Enabled,
        DomainStatus::Disabled => S::Disabled,
        DomainStatus::Deleting => S::Deleting,
    };
    api::models::Domain::new(d.domain, d.host_type, status)
}

/// The answer to a refusal: `400` for a bad name, `404` for an unknown domain, `409`
/// for one that exists, `403` for the rest; a storage failure is ours (`503`).
enum Refused {
    BadRequest(String),
    Forbidden(String),
    NotFound(String),
    Conflict(String),
}

fn refused(e: DomainError) -> Result<Refused, ApiError> {
    let text = e.to_string();
    Ok(match e {
        DomainError::InvalidName => Refused::BadRequest(text),
        DomainError::NotFound => Refused::NotFound(text),
        DomainError::AlreadyExists => Refused::Conflict(text),
        DomainError::Static | DomainError::UnknownHostType | DomainError::Deleted | DomainError::WrongHostType => {
            Refused::Forbidden(text)
        }
        DomainError::Store(e) => return Err(internal(e)),
    })
}

pub(super) async fn list(core: &Core) -> Result<api::ListDomainsResponse, ApiError> {
    let all = domains::list(core).await.map_err(internal)?;
    Ok(api::ListDomainsResponse::Domains(all.into_iter().map(model).collect()))
}

pub(super) async fn get(core: &Core, domain: &str) -> Result<api::GetDomainResponse, ApiError> {
    use api::GetDomainResponse as R;
    match domains::get(core, domain).await {
        Ok(d) => Ok(R::TheDomain(model(d))),
        Err(e) => Ok(match refused(e)? {
            Refused::BadRequest(t) => R::BadRequest(t),
            Refused::NotFound(t) => R::NotFound(t),
            Refused::Forbidden(t) | Refused::Conflict(t) => R::Forbidden(t),
        }),
    }
}

pub(super) async fn add(core: &Core, domain: &str, host_type: &str) -> Result<api::AddDomainResponse, ApiError> {
    use api::AddDomainResponse as R;
    match domains::add(core, domain, host_type).await {
        Ok(_) => Ok(R::DomainAdded),
        Err(e) => Ok(match refused(e)? {
            Refused::BadRequest(t) => R::BadRequest(t),
            Refused::Conflict(t) => R::Conflict(t),
            // Not a possible answer to adding; the spec has no 404 here.
            Refused::Forbidden(t) | Refused::NotFound(t) => R::Forbidden(t),
        }),
    }
}

pub(super) async fn set_enabled(
    core: &Core,
    domain: &str,
    enabled: bool,
) -> Result<api::SetDomainEnabledResponse, ApiError> {
    use api::SetDomainEnabledResponse as R;
    match domains::set_enabled(core, domain, enabled).await {
        Ok(()) => Ok(R::StatusSet),
        Err(e) => Ok(match refused(e)? {
            Refused::BadRequest(t) => R::BadRequest(t),
            Refused::NotFound(t) => R::NotFound(t),
            Refused::Forbidden(t) | Refused::Conflict(t) => R::Forbidden(t),
        }),
    }
}

pub(super) async fn remove(
    core: &Arc<Core>,
    domain: &str,
    removal: api::models::DomainToRemove,
) -> Result<api::RemoveDomainResponse, ApiError> {
    use api::RemoveDomainResponse as R;
    let in_background = removal.request.unwrap_or(false);
    match domains::remove(core, domain, &removal.host_type, !in_background).await {
        Ok(()) if in_background => Ok(R::RemovalStarted),
        Ok(()) => Ok(R::DomainRemoved),
        Err(e) => Ok(match refused(e)? {
            Refused::BadRequest(t) => R::BadRequest(t),
            Refused::NotFound(t) => R::NotFound(t),
            Refused::Forbidden(t) | Refused::Conflict(t) => R::Forbidden(t),
        }),
    }
}
