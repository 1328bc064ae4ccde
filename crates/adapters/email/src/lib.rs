//! # tollgate-email
//!
//! The [`Mailer`](tollgate_ports::Mailer) port's adapters: [`SmtpMailer`] sends through an SMTP
//! server (lettre, rustls), [`OutboxMailer`] writes each message as one JSON file into a
//! directory (development, tests, or a relay that picks the files up). Both render the same
//! English [`templates`].
#![warn(missing_docs)]

mod error;
mod outbox;
mod smtp;
pub mod templates;

pub use error::EmailError;
pub use outbox::OutboxMailer;
pub use smtp::SmtpMailer;
