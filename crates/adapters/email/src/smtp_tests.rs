use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tollgate_domain::{AccountKey, Email, TokenPurpose};
use tollgate_ports::{Mail, Mailer, Message, Secret};

use super::SmtpMailer;
use crate::EmailError;

/// What the test server saw of one SMTP conversation.
#[derive(Debug, Default)]
struct Received {
    commands: Vec<String>,
    data: String,
}

/// A server on a free local port speaking just enough SMTP (RFC 5321, with AUTH PLAIN) to
/// accept one message; it answers `reject_rcpt` to RCPT TO when set.
async fn smtp_server(reject_rcpt: bool) -> (u16, tokio::task::JoinHandle<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut received = Received::default();
        write.write_all(b"220 test.local ESMTP ready\r\n").await.unwrap();
        while let Some(line) = lines.next_line().await.unwrap() {
            received.commands.push(line.clone());
            let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-test.local\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n",
                "AUTH" => b"235 2.7.0 accepted\r\n",
                "MAIL" => b"250 2.1.0 ok\r\n",
                "RCPT" if reject_rcpt => b"550 5.1.1 no such user\r\n",
                "RCPT" => b"250 2.1.5 ok\r\n",
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.unwrap();
                    while let Some(data) = lines.next_line().await.unwrap() {
                        if data == "." {
                            break;
                        }
                        // Undo dot-stuffing.
                        let data = data.strip_prefix('.').unwrap_or(&data);
                        received.data.push_str(data);
                        received.data.push('\n');
                    }
                    b"250 2.0.0 queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 2.0.0 bye\r\n").await.unwrap();
                    break;
                }
                "RSET" | "NOOP" => b"250 ok\r\n",
                _ => b"502 5.5.2 not implemented\r\n",
            };
            write.write_all(reply).await.unwrap();
        }
        received
    });
    (port, handle)
}

fn reset_mail() -> Mail {
    Mail {
        to: Email::parse("ada@acme.test").unwrap(),
        message: Message::Token {
            purpose: TokenPurpose::PasswordReset,
            token: Secret::new("tok_5a1e7b0c9d"),
        },
        name: Some("Ada".into()),
        account: Some(AccountKey::parse("acme").unwrap()),
    }
}

#[tokio::test]
async fn a_message_reaches_the_smtp_server_with_its_token() {
    let (port, server) = smtp_server(false).await;
    let mailer = SmtpMailer::new(
        &format!("smtp://mailer:p%40ss@127.0.0.1:{port}"),
        "Tollgate <no-reply@tollgate.test>",
    )
    .unwrap();
    mailer.send(&reset_mail()).await.unwrap();
    drop(mailer);
    let received = tokio::time::timeout(std::time::Duration::from_secs(10), server).await.unwrap().unwrap();

    let command =
        |verb: &str| received.commands.iter().find(|c| c.starts_with(verb)).cloned().unwrap_or_default();
    assert_eq!(command("MAIL FROM"), "MAIL FROM:<no-reply@tollgate.test>");
    assert_eq!(command("RCPT TO"), "RCPT TO:<ada@acme.test>");
    // AUTH PLAIN carries "\0user\0password" in base64; the password was percent-decoded.
    assert_eq!(command("AUTH"), "AUTH PLAIN AG1haWxlcgBwQHNz");
    assert!(received.data.contains("tok_5a1e7b0c9d"), "{}", received.data);
    assert!(received.data.contains("Subject: Reset your password"), "{}", received.data);
    assert!(received.data.contains("To: ada@acme.test"), "{}", received.data);
    assert!(received.data.contains("From: Tollgate <no-reply@tollgate.test>"), "{}", received.data);
    assert!(received.data.to_ascii_lowercase().contains("content-type: text/plain"), "{}", received.data);
}

#[tokio::test]
async fn a_refused_recipient_is_a_delivery_error_without_the_token() {
    let (port, server) = smtp_server(true).await;
    let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "no-reply@tollgate.test").unwrap();
    let err = mailer.send(&reset_mail()).await.unwrap_err();
    assert!(err.to_string().contains("550") || err.to_string().contains("no such user"), "{err}");
    assert!(!err.to_string().contains("tok_5a1e7b0c9d"));
    drop(mailer);
    server.abort();
}

#[tokio::test]
async fn an_unreachable_server_is_a_delivery_error() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let mailer = SmtpMailer::new(&format!("smtp://127.0.0.1:{port}"), "no-reply@tollgate.test").unwrap();
    assert!(mailer.send(&reset_mail()).await.is_err());
}

#[test]
fn bad_urls_and_senders_are_setup_errors_that_hide_the_password() {
    for url in ["http://mail.test", "not a url", "smtp://", "ftp://user:hunter2@mail.test"] {
        let err = SmtpMailer::new(url, "no-reply@tollgate.test").unwrap_err();
        assert!(matches!(err, EmailError::SmtpUrl(_)), "{url}: {err:?}");
        assert!(!err.to_string().contains("hunter2"));
    }
    assert!(matches!(SmtpMailer::new("smtp://localhost", "not an address"), Err(EmailError::Sender { .. })));
    assert!(SmtpMailer::new("smtps://user:pw@mail.test:465", "no-reply@tollgate.test").is_ok());
    assert!(SmtpMailer::new("smtp://user:pw@mail.test:587?tls=required", "no-reply@tollgate.test").is_ok());
}

#[test]
fn debug_does_not_show_the_credentials() {
    let mailer = SmtpMailer::new("smtp://user:hunter2@mail.test", "no-reply@tollgate.test").unwrap();
    let shown = format!("{mailer:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("no-reply@tollgate.test"));
}
