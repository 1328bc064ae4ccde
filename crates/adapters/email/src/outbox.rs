//! The outbox directory: one JSON file per message.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;
use tollgate_ports::{Clock, Mail, Mailer, Message, NotifyError};

use crate::EmailError;
use crate::templates::render;

/// The file as API.md fixes it: `{"to", "subject", "text", "template", "data"}`.
#[derive(Serialize)]
struct OutboxMessage<'a> {
    to: &'a str,
    subject: String,
    text: String,
    template: &'static str,
    data: serde_json::Value,
}

/// The message's specifics: its token, or a reminder's day, invoice and amount, or a trial's end;
/// and the account and name when known.
fn data(mail: &Mail) -> serde_json::Value {
    let mut data = match &mail.message {
        Message::Token { token, .. } => serde_json::json!({ "token": token.expose() }),
        Message::PaymentReminder { day, invoice, amount } => {
            serde_json::json!({ "day": day, "invoice": invoice, "amount": amount })
        }
        Message::TrialEnding { ends_at } => {
            let ends_at = ends_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            serde_json::json!({ "ends_at": ends_at })
        }
    };
    if let Some(account) = &mail.account {
        data["account"] = account.as_str().into();
    }
    if let Some(name) = &mail.name {
        data["name"] = name.as_str().into();
    }
    data
}

/// [`Mailer`] that writes each message as one JSON file into a directory, for development
/// (`make run`), tests, and a relay that picks the files up.
///
/// A file appears whole or not at all (written under a hidden temporary name, then renamed),
/// and names sort in the order messages were sent:
/// `<UTC time, to the nanosecond>-<sequence>-<random>.json`, where the sequence orders messages
/// of one process sent in the same instant and the random part keeps two processes sharing the
/// directory from ever picking one name.
pub struct OutboxMailer {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    sequence: AtomicU64,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl OutboxMailer {
    /// A mailer writing into `dir` (created if missing), naming files by `clock`'s time.
    ///
    /// # Errors
    /// [`EmailError::Outbox`] when the directory cannot be created.
    pub fn new(dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Result<Self, EmailError> {
        let dir = dir.into();
        fs::create_dir_all(&dir)
            .map_err(|source| EmailError::Outbox { path: dir.display().to_string(), source })?;
        Ok(Self { dir, clock, sequence: AtomicU64::new(0) })
    }

    /// The directory messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file_name(&self, at: OffsetDateTime) -> Result<String, NotifyError> {
        let stamp = at
            .to_offset(time::UtcOffset::UTC)
            .format(format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:9]Z"))
            .map_err(|e| NotifyError(format!("formatting the outbox file name: {e}")))?;
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed);
        let mut random = [0u8; 4];
        getrandom::fill(&mut random).map_err(|e| NotifyError(format!("no randomness: {e}")))?;
        Ok(format!("{stamp}-{sequence:06}-{:08x}.json", u32::from_be_bytes(random)))
    }
}

fn write_atomically(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<()> {
    // Hidden and without the .json suffix, so a reader listing `*.json` never sees it half-written.
    let temp = dir.join(format!(".{name}.tmp"));
    let written = fs::File::create(&temp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| fs::rename(&temp, dir.join(name)));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    renamed
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError> {
        let rendered = render(mail);
        let message = OutboxMessage {
            to: mail.to.as_str(),
            subject: rendered.subject,
            text: rendered.text,
            template: mail.template(),
            data: data(mail),
        };
        let contents = serde_json::to_vec_pretty(&message)
            .map_err(|e| NotifyError(format!("encoding the outbox message: {e}")))?;
        let name = self.file_name(self.clock.now())?;
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &contents))
            .await
            .map_err(|e| NotifyError(format!("the outbox write task failed: {e}")))?
            .map_err(|e| NotifyError(format!("writing to the outbox {}: {e}", self.dir.display())))
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
