//! The JWT signing secret: configured, or generated once into the data directory.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::SetupError;
use crate::jwt::MIN_SECRET_BYTES;

/// The file, in the data directory, that holds the generated secret.
pub const JWT_SECRET_FILE: &str = "jwt-secret";

/// Bytes of a generated secret: 512 bits, HMAC-SHA256's block size.
const GENERATED_BYTES: usize = 64;

/// The secret to sign access tokens with: `configured` (`auth.jwt_secret`, used as its UTF-8
/// bytes) when set; otherwise the one in `<data_dir>/jwt-secret`, which is created the first time
/// with 64 random bytes in hex, readable by its owner only (mode 0600 on unix). Creation is
/// atomic: the file appears whole or not at all, and when two instances start together on the
/// same directory, both end up with the one that was written first.
///
/// # Errors
/// [`SetupError::SecretTooShort`] for a configured secret under 32 bytes,
/// [`SetupError::MalformedSecretFile`] when the file holds anything but hex of at least 32 bytes,
/// [`SetupError::Io`] when the directory or file cannot be created or read,
/// [`SetupError::Random`] when no randomness is available.
pub fn load_or_create_jwt_secret(configured: Option<&str>, data_dir: &Path) -> Result<Vec<u8>, SetupError> {
    if let Some(secret) = configured {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SetupError::SecretTooShort { len: secret.len(), min: MIN_SECRET_BYTES });
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join(JWT_SECRET_FILE);
    match fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => create(data_dir, &path),
        Err(e) => Err(io_error(format!("reading {}", path.display()), e)),
    }
}

fn io_error(context: String, source: io::Error) -> SetupError {
    SetupError::Io { context, source }
}

fn parse(text: &str, path: &Path) -> Result<Vec<u8>, SetupError> {
    match hex::decode(text.trim()) {
        Ok(bytes) if bytes.len() >= MIN_SECRET_BYTES => Ok(bytes),
        _ => Err(SetupError::MalformedSecretFile { path: path.display().to_string(), min: MIN_SECRET_BYTES }),
    }
}

fn create(data_dir: &Path, path: &Path) -> Result<Vec<u8>, SetupError> {
    fs::create_dir_all(data_dir).map_err(|e| io_error(format!("creating {}", data_dir.display()), e))?;
    let mut secret = [0u8; GENERATED_BYTES];
    getrandom::fill(&mut secret).map_err(|e| SetupError::Random(e.to_string()))?;
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| SetupError::Random(e.to_string()))?;
    // Written whole under a private name, then linked into place: a link, unlike a rename,
    // fails when the target exists, so a secret another instance published first is never
    // replaced under its feet.
    let temp = data_dir.join(format!(".{JWT_SECRET_FILE}.{}.tmp", hex::encode(nonce)));
    let written = write_private(&temp, hex::encode(secret).as_bytes())
        .map_err(|e| io_error(format!("writing {}", temp.display()), e));
    let linked = written.and_then(|()| match fs::hard_link(&temp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(io_error(format!("creating {}", path.display()), e)),
    });
    // The private name goes whatever happened; failing to remove it leaves only litter.
    let _ = fs::remove_file(&temp);
    if linked? {
        Ok(secret.to_vec())
    } else {
        let text =
            fs::read_to_string(path).map_err(|e| io_error(format!("reading {}", path.display()), e))?;
        parse(&text, path)
    }
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A fresh directory under the target's temp dir, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let mut nonce = [0u8; 8];
            getrandom::fill(&mut nonce).unwrap();
            let dir = std::env::temp_dir().join(format!("tollgate-security-{name}-{}", hex::encode(nonce)));
            Self(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_configured_secret_is_used_as_is() {
        let dir = TempDir::new("configured");
        let secret = "a configured secret that is long enough";
        assert_eq!(load_or_create_jwt_secret(Some(secret), &dir.0).unwrap(), secret.as_bytes());
        assert!(!dir.0.exists(), "nothing is written when a secret is configured");
    }

    #[test]
    fn a_configured_secret_under_32_bytes_is_refused() {
        let dir = TempDir::new("short");
        let err = load_or_create_jwt_secret(Some("too short"), &dir.0).unwrap_err();
        assert!(matches!(err, SetupError::SecretTooShort { len: 9, min: 32 }), "{err:?}");
    }

    #[test]
    fn without_one_a_secret_is_generated_once_and_reused() {
        let dir = TempDir::new("generated");
        let first = load_or_create_jwt_secret(None, &dir.0.join("nested")).unwrap();
        assert_eq!(first.len(), 64);
        let text = fs::read_to_string(dir.0.join("nested").join(JWT_SECRET_FILE)).unwrap();
        assert_eq!(text, hex::encode(&first));
        assert_eq!(load_or_create_jwt_secret(None, &dir.0.join("nested")).unwrap(), first);
        let other = TempDir::new("generated-other");
        assert_ne!(load_or_create_jwt_secret(None, &other.0).unwrap(), first);
        let names: Vec<_> =
            fs::read_dir(dir.0.join("nested")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, [JWT_SECRET_FILE], "no temporary file is left behind");
    }

    #[cfg(unix)]
    #[test]
    fn the_generated_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new("mode");
        load_or_create_jwt_secret(None, &dir.0).unwrap();
        let mode = fs::metadata(dir.0.join(JWT_SECRET_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn instances_starting_together_agree_on_one_secret() {
        let dir = TempDir::new("race");
        let secrets: Vec<Vec<u8>> = std::thread::scope(|s| {
            let handles: Vec<_> =
                (0..8).map(|_| s.spawn(|| load_or_create_jwt_secret(None, &dir.0).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(secrets.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(fs::read_dir(&dir.0).unwrap().count(), 1);
    }

    #[test]
    fn a_file_that_is_not_a_secret_is_refused_not_replaced() {
        let dir = TempDir::new("malformed");
        fs::create_dir_all(&dir.0).unwrap();
        for bad in ["not hex", "abcd", ""] {
            fs::write(dir.0.join(JWT_SECRET_FILE), bad).unwrap();
            let err = load_or_create_jwt_secret(None, &dir.0).unwrap_err();
            assert!(matches!(err, SetupError::MalformedSecretFile { .. }), "{bad:?}: {err:?}");
            assert_eq!(fs::read_to_string(dir.0.join(JWT_SECRET_FILE)).unwrap(), bad);
        }
    }

    #[test]
    fn a_file_written_by_hand_with_a_newline_is_read() {
        let dir = TempDir::new("newline");
        fs::create_dir_all(&dir.0).unwrap();
        let secret = [7u8; 40];
        fs::write(dir.0.join(JWT_SECRET_FILE), format!("{}\n", hex::encode(secret))).unwrap();
        assert_eq!(load_or_create_jwt_secret(None, &dir.0).unwrap(), secret);
    }
}
