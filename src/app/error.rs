//! The two kinds of failure a use case reports: the user's mistake, or ours.

use crate::domain::UserError;
use crate::store::StoreError;

/// A failed use case. Front ends show [`AppError::User`] as-is; for [`AppError::Internal`] they
/// show a short apology with an error id and log the whole chain.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    User(#[from] UserError),
    /// The request's key was used already: this write was done before and nothing was written
    /// now.
    #[error("this request was already carried out ({}) at {}; nothing was written again", .0.action, .0.at.format("%Y-%m-%d %H:%M UTC"))]
    Repeated(Box<crate::store::KeyedWrite>),
    /// The database did not answer (PostgreSQL down or unreachable, its connections all gone):
    /// trying again later will work. What was cut off before its commit was not written (a
    /// connection lost during the commit itself leaves that unknown). Front ends say so instead
    /// of an apology.
    #[error("the ledger is unavailable, try again in a minute")]
    Unavailable(#[source] anyhow::Error),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        if crate::store::is_unavailable(&error) { AppError::Unavailable(error) } else { AppError::Internal(error) }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            // Use cases check names first inside the same write transaction; this is the backstop.
            StoreError::NameTaken => AppError::User(UserError::Conflict(
                "That name is already taken by another item of the same kind; choose another name".into(),
            )),
            StoreError::Internal(error) => error.into(),
        }
    }
}
