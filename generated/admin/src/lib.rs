#![allow(missing_docs, trivial_casts, unused_variables, unused_mut, unused_imports, unused_extern_crates, unused_attributes, non_camel_case_types)]
#![allow(clippy::derive_partial_eq_without_eq, clippy::disallowed_names)]

use async_trait::async_trait;
use futures::Stream;
#[cfg(feature = "mock")]
use mockall::automock;
use std::error::Error;
use std::collections::BTreeSet;
use std::task::{Poll, Context};
use swagger::{ApiError, ContextWrapper, auth::Authorization};
use serde::{Serialize, Deserialize};

#[cfg(any(feature = "client", feature = "server"))]
type ServiceError = Box<dyn Error + Send + Sync + 'static>;

pub const BASE_PATH: &str = "/api";
pub const API_VERSION: &str = "1.0.0";

mod auth;
pub use auth::{AuthenticationApi, Claims};


#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ListUsersResponse {
    /// User list
    UserList
    (Vec<String>)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum RegisterUserResponse {
    /// User registered
    UserRegistered
    (String)
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// User already exists
    UserAlreadyExists
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum ChangePasswordResponse {
    /// Password changed
    PasswordChanged
    ,
    /// Bad request
    BadRequest
    (String)
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// User not found
    UserNotFound
    (String)
    ,
    /// Payload too large
    PayloadTooLarge
    (String)
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[must_use]
pub enum UnregisterUserResponse {
    /// User removed
    UserRemoved
    ,
    /// Unauthorized
    Unauthorized
    {
        body: String,
        www_authenticate:
        String
    }
    ,
    /// User not found
    UserNotFound
    (String)
}

/// API
#[cfg_attr(feature = "mock", automock)]
#[async_trait]
#[allow(clippy::too_many_arguments, clippy::ptr_arg)]
pub trait Api<C: Send + Sync> {
    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        context: &C) -> Result<ListUsersResponse, ApiError>;

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        context: &C) -> Result<RegisterUserResponse, ApiError>;

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        context: &C) -> Result<ChangePasswordResponse, ApiError>;

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        context: &C) -> Result<UnregisterUserResponse, ApiError>;

}

/// API where `Context` isn't passed on every API call
#[cfg_attr(feature = "mock", automock)]
#[async_trait]
#[allow(clippy::too_many_arguments, clippy::ptr_arg)]
pub trait ApiNoContext<C: Send + Sync> {
    // The std::task::Context struct houses a reference to std::task::Waker with the lifetime <'a>.
    // Adding an anonymous lifetime `'a` to allow mockall to create a mock object with the right lifetimes.
    // This is needed because the compiler is unable to determine the lifetimes on F's trait bound
    // where F is the closure created by mockall. We use higher-rank trait bounds here to get around this.

    fn context(&self) -> &C;

    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        ) -> Result<ListUsersResponse, ApiError>;

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        ) -> Result<RegisterUserResponse, ApiError>;

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        ) -> Result<ChangePasswordResponse, ApiError>;

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        ) -> Result<UnregisterUserResponse, ApiError>;

}

/// Trait to extend an API to make it easy to bind it to a context.
pub trait ContextWrapperExt<C: Send + Sync> where Self: Sized
{
    /// Binds this API to a context.
    fn with_context(self, context: C) -> ContextWrapper<Self, C>;
}

impl<T: Api<C> + Send + Sync, C: Clone + Send + Sync> ContextWrapperExt<C> for T {
    fn with_context(self: T, context: C) -> ContextWrapper<T, C> {
         ContextWrapper::<T, C>::new(self, context)
    }
}

#[async_trait]
impl<T: Api<C> + Send + Sync, C: Clone + Send + Sync> ApiNoContext<C> for ContextWrapper<T, C> {
    fn context(&self) -> &C {
        ContextWrapper::context(self)
    }

    /// List the users of a domain
    async fn list_users(
        &self,
        domain: String,
        ) -> Result<ListUsersResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().list_users(domain, &context).await
    }

    /// Register a user
    async fn register_user(
        &self,
        domain: String,
        new_user: models::NewUser,
        ) -> Result<RegisterUserResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().register_user(domain, new_user, &context).await
    }

    /// Change a user's password
    async fn change_password(
        &self,
        domain: String,
        username: String,
        new_password: models::NewPassword,
        ) -> Result<ChangePasswordResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().change_password(domain, username, new_password, &context).await
    }

    /// Remove a user
    async fn unregister_user(
        &self,
        domain: String,
        username: String,
        ) -> Result<UnregisterUserResponse, ApiError>
    {
        let context = self.context().clone();
        self.api().unregister_user(domain, username, &context).await
    }

}


#[cfg(feature = "client")]
pub mod client;

// Re-export Client as a top-level name
#[cfg(feature = "client")]
pub use client::Client;

#[cfg(feature = "server")]
pub mod server;

// Re-export router() as a top-level name
#[cfg(feature = "server")]
pub use self::server::Service;

#[cfg(feature = "server")]
pub mod context;

pub mod models;

#[cfg(any(feature = "client", feature = "server"))]
pub(crate) mod header;
