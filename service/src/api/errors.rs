//! API errors as types, and their one mapping to GraphQL errors with
//! `extensions.code`. Clients branch on the code; the message is for people.
//! Internal causes (the store failing) are logged here and shown only as
//! INTERNAL, so SQL, paths and the like never reach a caller.

use async_graphql::{ErrorExtensionValues, ErrorExtensions, ServerError};

use super::auth::AuthError;
use crate::actions::ActionError;

/// The `extensions.code` of [`ApiError::TooManyRequests`].
pub const TOO_MANY_REQUESTS: &str = "TOO_MANY_REQUESTS";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Unauthenticated(#[from] AuthError),
    #[error("{0}")]
    Forbidden(String),
    /// The caller's subject already has its share of operations executing
    /// ([`super::schema::fair_share`]); HTTP answers 429.
    #[error("{0}")]
    TooManyRequests(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadInput { field: field.into(), message: message.into() }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadInput { .. } => "BAD_USER_INPUT",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Unauthenticated(_) => "UNAUTHENTICATED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::TooManyRequests(_) => TOO_MANY_REQUESTS,
            ApiError::Internal(_) => "INTERNAL",
        }
    }

    /// What the caller sees (and the audit log records).
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "internal error; the cause is in the service log".into(),
            other => other.to_string(),
        }
    }

    /// For errors raised outside a resolver (authentication in the HTTP handler).
    pub fn to_server_error(&self) -> ServerError {
        let mut e = ServerError::new(self.public_message(), None);
        let mut ext = ErrorExtensionValues::default();
        ext.set("code", self.code());
        e.extensions = Some(ext);
        e
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::Invalid { field, message } => ApiError::BadInput { field, message },
            ActionError::NotFound(what) => ApiError::NotFound(what),
            ActionError::Store(cause) => ApiError::Internal(cause.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::from(ActionError::from(e))
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        async_graphql::Error::new(self.public_message()).extend_with(|_, ext| ext.set("code", self.code()))
    }
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

/// `?` in a resolver would turn an [`ApiError`] into a GraphQL error without
/// its code (async-graphql converts anything `Display`); `.gql()?` keeps it.
pub trait IntoGql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> IntoGql<T> for std::result::Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.into().extend())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_causes_are_not_shown() {
        let e = ApiError::Internal("database error: disk I/O at /var/secret.db".into());
        assert!(!e.public_message().contains("secret.db"));
        assert_eq!(e.code(), "INTERNAL");
    }
}
