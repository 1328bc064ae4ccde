//! What a login costs: argon2id hash and verify with the production settings (OWASP's m=19 MiB,
//! t=2, p=1), through the port as the use cases call it (on tokio's blocking pool). Prints
//! figures; asserts nothing. `cargo bench -p tollgate-security --bench argon2` (release build).

use std::time::{Duration, Instant};

use tollgate_ports::{PasswordHasher, Secret};
use tollgate_security::{Argon2Hasher, Argon2Settings};

const ROUNDS: usize = 30;

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = samples.iter().sum::<Duration>() / u32::try_from(samples.len()).unwrap_or(u32::MAX);
    println!(
        "{name:<8} n={ROUNDS}  median {:.1} ms  mean {:.1} ms  min {:.1} ms  max {:.1} ms",
        ms(samples[samples.len() / 2]),
        ms(mean),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let hasher = Argon2Hasher::default();
    let settings: Argon2Settings = hasher.settings();
    println!(
        "argon2id m={} KiB t={} p={} ({} threads available)",
        settings.memory_kib,
        settings.iterations,
        settings.parallelism,
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let password = Secret::new("correct horse battery staple");
    runtime.block_on(async {
        let hash = hasher.hash(&password).await.expect("hashing works");
        let mut hashing = Vec::with_capacity(ROUNDS);
        let mut verifying = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let start = Instant::now();
            hasher.hash(&password).await.expect("hashing works");
            hashing.push(start.elapsed());
            let start = Instant::now();
            assert!(hasher.verify(&password, &hash).await.expect("verifying works"));
            verifying.push(start.elapsed());
        }
        summary("hash", hashing);
        summary("verify", verifying);
    });
}
