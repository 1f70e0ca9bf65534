//! Accounts and their change log ([`AccountStore`]).

use super::*;

for_every_backend!(
    accounts_round_trip_and_log_their_changes,
    removals_and_password_changes_wait_to_be_applied,
);

fn creds(tag: u8) -> Credentials {
    let c = ScramCredential {
        salt: vec![tag; 16],
        iterations: 4096,
        stored_key: vec![tag; 20],
        server_key: vec![tag; 20],
    };
    Credentials {
        sha1: c.clone(),
        sha256: c,
    }
}

async fn accounts_round_trip_and_log_their_changes(b: Under) {
    let a = &b.stores.accounts;
    let start = a.last_account_change().await.unwrap();
    a.create_account("alice@localhost", &creds(1)).await.unwrap();
    assert!(matches!(
        a.create_account("alice@localhost", &creds(2)).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(a.credentials("alice@localhost").await.unwrap(), Some(creds(1)));
    a.set_credentials("alice@localhost", &creds(3)).await.unwrap();
    assert_eq!(a.credentials("alice@localhost").await.unwrap(), Some(creds(3)));
    assert!(matches!(
        a.set_credentials("bob@localhost", &creds(3)).await,
        Err(StoreError::NotFound)
    ));
    a.create_account("carol@example.com", &creds(4)).await.unwrap();
    assert_eq!(
        a.list_accounts("localhost", None, None).await.unwrap(),
        ["alice@localhost"]
    );
    // Pages: after a JID, at most so many, counted per domain.
    for name in ["dave", "bob", "erin"] {
        a.create_account(&format!("{name}@localhost"), &creds(5)).await.unwrap();
    }
    assert_eq!(
        a.list_accounts("localhost", None, Some(2)).await.unwrap(),
        ["alice@localhost", "bob@localhost"]
    );
    assert_eq!(
        a.list_accounts("localhost", Some("bob@localhost"), Some(2))
            .await
            .unwrap(),
        ["dave@localhost", "erin@localhost"]
    );
    assert_eq!(a.count_accounts("localhost").await.unwrap(), 4);
    assert_eq!(a.count_accounts("example.com").await.unwrap(), 1);
    for name in ["dave", "bob", "erin"] {
        a.delete_account(&format!("{name}@localhost")).await.unwrap();
    }
    a.delete_account("alice@localhost").await.unwrap();
    assert!(matches!(
        a.delete_account("alice@localhost").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(a.credentials("alice@localhost").await.unwrap(), None);
    let kinds: Vec<(String, AccountChangeKind)> = a
        .account_changes(start)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| !["bob@localhost", "dave@localhost", "erin@localhost"].contains(&c.jid.as_str()))
        .map(|c| (c.jid, c.kind))
        .collect();
    use AccountChangeKind::*;
    let alice = || "alice@localhost".to_owned();
    assert_eq!(
        kinds,
        [
            (alice(), Created),
            (alice(), PasswordChanged),
            ("carol@example.com".to_owned(), Created),
            (alice(), Removed)
        ]
    );
    let newest = a.last_account_change().await.unwrap();
    assert!(a.account_changes(newest).await.unwrap().is_empty());
}

async fn removals_and_password_changes_wait_to_be_applied(b: Under) {
    let a = &b.stores.accounts;
    a.create_account("alice@localhost", &creds(1)).await.unwrap();
    a.set_credentials("alice@localhost", &creds(2)).await.unwrap();
    a.delete_account("alice@localhost").await.unwrap();
    let pending = a.unapplied_account_changes().await.unwrap();
    let kinds: Vec<AccountChangeKind> = pending.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [AccountChangeKind::PasswordChanged, AccountChangeKind::Removed]);
    a.mark_account_change_applied(pending[0].seq).await.unwrap();
    let left = a.unapplied_account_changes().await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, AccountChangeKind::Removed);
    assert!(matches!(
        a.mark_account_change_applied(-1).await,
        Err(StoreError::NotFound)
    ));
}
