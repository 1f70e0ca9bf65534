//! Account lifecycle events: removals and password changes, made here or by another
//! process, applied once.

use super::*;

#[tokio::test]
async fn removing_an_account_ends_its_sessions_and_takes_it_out_of_every_roster() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let alice = h.online("alice@localhost/a").await;
    let (sse, _rx) = h.core.open_event_stream(&bare("alice@localhost"), None).await.unwrap();
    let mut bob = h.online("bob@localhost/b").await;
    h.send(&bob, "<iq id='r' type='get'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    bob.take();
    h.send(
        &bob,
        "<message to='alice@localhost' type='chat'><body>x</body></message>",
    )
    .await;
    h.core.remove_account(&bare("alice@localhost")).await.unwrap();

    assert_eq!(alice.kicked(), Some(Kick::Reset));
    assert!(
        futures::FutureExt::now_or_never(sse.kicked()).is_some(),
        "the SSE stream ends too"
    );
    let got = bob.take();
    let push = got.iter().find(|s| s.name == "iq").expect("a roster push");
    let item = push.child("query", ns::ROSTER).unwrap().elements().next().unwrap();
    assert_eq!(
        (item.attr("jid"), item.attr("subscription")),
        (Some("alice@localhost"), Some("remove"))
    );
    assert!(got
        .iter()
        .any(|s| s.attr("type") == Some("unavailable") && s.attr("from") == Some("alice@localhost/a")));
    assert!(h.stores.roster.roster("bob@localhost").await.unwrap().is_empty());
    assert!(h.stores.roster.roster("alice@localhost").await.unwrap().is_empty());
    assert!(
        archive::history(&h.core, &bare("alice@localhost"), None, archive::Page::newest(10))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        archive::history(&h.core, &bare("bob@localhost"), None, archive::Page::newest(10))
            .await
            .unwrap()
            .len(),
        1,
        "bob keeps his copy"
    );
}

#[tokio::test]
async fn a_change_made_by_another_process_is_applied_once_when_the_log_is_read() {
    let h = Harness::new(&["alice", "bob"]).await;
    h.befriend("alice@localhost", "bob@localhost").await;
    let alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    h.send(&bob, "<iq id='r' type='get'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    bob.take();
    // The command line: its own account service on the same storage, no core.
    let cli = Accounts::new(
        h.stores.accounts.clone(),
        std::sync::Arc::new(crate::core::hosts::Hosts::new(vec!["localhost".into()])),
        1,
        0,
    );
    cli.unregister(&bare("alice@localhost")).await.unwrap();
    assert_eq!(alice.kicked(), None, "nothing happens before the log is read");
    h.core.sync_account_changes().await.unwrap();
    assert_eq!(alice.kicked(), Some(Kick::Reset));
    assert_eq!(bob.take().iter().filter(|s| s.name == "iq").count(), 1);
    h.core.sync_account_changes().await.unwrap();
    assert!(bob.take().is_empty(), "applied once");
    assert!(h.stores.accounts.unapplied_account_changes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_password_change_ends_the_sessions_and_the_old_password_stops_working() {
    let h = Harness::new(&["alice"]).await;
    let alice = h.online("alice@localhost/a").await;
    assert!(h
        .core
        .accounts()
        .check_password("alice@localhost", "pw")
        .await
        .unwrap()
        .is_some());
    let cli = Accounts::new(
        h.stores.accounts.clone(),
        std::sync::Arc::new(crate::core::hosts::Hosts::new(vec!["localhost".into()])),
        1,
        0,
    );
    cli.set_password(&bare("alice@localhost"), "new").await.unwrap();
    h.core.sync_account_changes().await.unwrap();
    assert_eq!(alice.kicked(), Some(Kick::Reset));
    assert!(h
        .core
        .accounts()
        .check_password("alice@localhost", "pw")
        .await
        .unwrap()
        .is_none());
    assert!(h
        .core
        .accounts()
        .check_password("alice@localhost", "new")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_removal_logged_while_no_server_ran_is_applied_at_start() {
    let stores = crate::store::Stores::memory();
    let cli = Accounts::new(
        stores.accounts.clone(),
        std::sync::Arc::new(crate::core::hosts::Hosts::new(vec!["localhost".into()])),
        1,
        0,
    );
    for u in ["alice@localhost", "bob@localhost"] {
        cli.register(&bare(u), "pw").await.unwrap();
    }
    let first = Core::new(settings(), stores.clone()).await.unwrap();
    first.start_lifecycle().await.unwrap();
    crate::core::im::roster::set_item(&first, &bare("bob@localhost"), &bare("alice@localhost"), None, vec![])
        .await
        .unwrap();
    drop(first);
    cli.unregister(&bare("alice@localhost")).await.unwrap();
    let next = Core::new(settings(), stores.clone()).await.unwrap();
    next.start_lifecycle().await.unwrap();
    assert!(stores.roster.roster("bob@localhost").await.unwrap().is_empty());
}
