//! The storage contract, tested once and run against every backend: this file holds the
//! backends under test (`Under`: memory, SQLite, PostgreSQL on the test process's
//! private server, and SQLite variants) and `for_every_backend!`, which runs a case on the
//! first three; the cases live beside it, one file per store trait, named as the trait's
//! own file in `store/`.

use super::*;

/// A backend under test; keeps its directory alive for as long as the test runs.
struct Under {
    stores: Stores,
    _dir: Option<tempfile::TempDir>,
}

fn memory() -> Under {
    Under {
        stores: Stores::memory(),
        _dir: None,
    }
}

fn sqlite() -> Under {
    let dir = tempfile::tempdir().unwrap();
    Under {
        stores: Stores::all_in(Arc::new(
            SqliteStore::open_with_durability(dir.path(), Durability::Process).unwrap(),
        )),
        _dir: Some(dir),
    }
}

/// SQLite with the archive index written every 16 entries, never by age, and one entry
/// per index transaction (a time budget of zero cuts every step short after its first
/// entry): reads meet the newest entries still in memory and the others in the index.
fn sqlite_eager_index() -> Under {
    let dir = tempfile::tempdir().unwrap();
    let indexing = sqlite::ArchiveIndexing {
        start_at: 16,
        max_age: std::time::Duration::from_secs(3600),
        chunk: 5,
        budget: std::time::Duration::ZERO,
    };
    let store = SqliteStore::open_with_indexing(dir.path(), indexing).unwrap();
    Under {
        stores: Stores::all_in(Arc::new(store)),
        _dir: Some(dir),
    }
}

/// A fresh database on the test process's private PostgreSQL server.
async fn postgres() -> Under {
    let url = postgres::private_server::shared()
        .fresh_database()
        .expect("creating a test database");
    let settings = PgSettings {
        url,
        pool_size: 8,
        ..PgSettings::default()
    };
    Under {
        stores: PgStore::connect(&settings)
            .await
            .expect("connecting to the test database")
            .into_stores(),
        _dir: None,
    }
}

/// SQLite syncing every archive commit to disk (`durability = "power"`).
fn sqlite_power() -> Under {
    let dir = tempfile::tempdir().unwrap();
    Under {
        stores: Stores::all_in(Arc::new(
            SqliteStore::open_with_durability(dir.path(), Durability::Power).unwrap(),
        )),
        _dir: Some(dir),
    }
}

const ALICE: &str = "alice@localhost";
const BOB: &str = "bob@localhost";

/// Runs each named case of the calling file on memory, SQLite and PostgreSQL, as
/// `<file>::{in_memory, on_sqlite, on_postgres}::<case>`.
macro_rules! for_every_backend {
    ($($name:ident),* $(,)?) => {
        mod in_memory {
            $( #[tokio::test] async fn $name() { super::$name(super::memory()).await } )*
        }
        mod on_sqlite {
            $( #[tokio::test] async fn $name() { super::$name(super::sqlite()).await } )*
        }
        mod on_postgres {
            $( #[tokio::test] async fn $name() { super::$name(super::postgres().await).await } )*
        }
    };
}

mod accounts;
mod archive;
mod blocking;
mod domains;
mod idempotency;
mod muc;
mod muc_light;
mod offline;
mod pep;
mod push;
mod roster;
mod tokens;
mod uploads;
mod user_data;
mod webhooks;

pub(crate) use archive::msg;
