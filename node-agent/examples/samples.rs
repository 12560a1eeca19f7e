//! Prepares the example configurations under `node-agent/examples/`: builds each
//! party's SYNTHETIC SQLite database from its `.sql` file (after `people.sql`), writes
//! the examples' development pseudonym key (mode 600) and, unless it exists, a
//! development PKI (`certs-dev`). Development only: the key is public.
//!
//! ```text
//! cargo run -p treiter-node-agent --example samples
//! node-agent check-config --config node-agent/examples/politie/node-agent.toml
//! ```

use std::path::Path;

/// The examples' pseudonym key: the bytes 0x00..0x1f, as in the pseudonym module's
/// known-answer test. Public, so for synthetic data only.
pub const DEV_PSEUDONYM_KEY: &str =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/// The example directories, one per party kind.
pub const KINDS: [&str; 5] = [
    "politie",
    "om",
    "woningcorporatie",
    "zorgpartner",
    "gemeente",
];

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let people = std::fs::read_to_string(root.join("people.sql"))?;
    for kind in KINDS {
        let dir = root.join(kind);
        let db = dir.join(format!("{kind}.sqlite"));
        // Rebuilt from scratch, so the database always matches its .sql file.
        let _ = std::fs::remove_file(&db);
        let sql = std::fs::read_to_string(dir.join(format!("{kind}.sql")))?;
        let connection = rusqlite::Connection::open(&db)?;
        connection.execute_batch(&people)?;
        connection.execute_batch(&sql)?;
        println!("wrote {}", db.display());
    }
    let key = root.join("pseudonym.key");
    std::fs::write(&key, format!("{DEV_PSEUDONYM_KEY}\n"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    }
    println!(
        "wrote {} (development key: synthetic data only)",
        key.display()
    );
    let pki = root.join("pki");
    if pki.join("ca/root.pem").exists() {
        println!("kept the development PKI in {}", pki.display());
    } else {
        treiter_certs_dev::generate(
            &pki,
            &treiter_certs_dev::Options {
                test_certs: false,
                now: time::OffsetDateTime::now_utc(),
                force: false,
            },
        )?;
        println!("wrote a development PKI to {}", pki.display());
    }
    Ok(())
}
