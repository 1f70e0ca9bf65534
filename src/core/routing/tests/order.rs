//! A session's messages in flight at once: they share archive commits and still arrive
//! in the order sent.

use super::*;

/// The memory archive, but a commit completes only once the test opens the gate.
struct GatedArchive {
    inner: Arc<dyn crate::store::ArchiveStore>,
    gate: tokio::sync::watch::Receiver<bool>,
    queued: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl crate::store::ArchiveStore for GatedArchive {
    async fn archive_enqueue(
        &self,
        messages: Vec<crate::store::ArchivedMessage>,
    ) -> Result<crate::store::Commit, crate::store::StoreError> {
        let written = self.inner.archive_enqueue(messages).await?;
        self.queued.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut gate = self.gate.clone();
        Ok(Box::pin(async move {
            let _ = gate.wait_for(|open| *open).await;
            written.await
        }))
    }
    async fn archive_query(
        &self,
        q: crate::store::ArchiveQuery,
    ) -> Result<Vec<crate::store::ArchivedMessage>, crate::store::StoreError> {
        self.inner.archive_query(q).await
    }
    async fn archive_count(&self, q: crate::store::ArchiveQuery) -> Result<u64, crate::store::StoreError> {
        self.inner.archive_count(q).await
    }
    async fn archive_after(
        &self,
        after: i64,
        upto: i64,
        limit: usize,
    ) -> Result<Vec<crate::store::ArchivedMessage>, crate::store::StoreError> {
        self.inner.archive_after(after, upto, limit).await
    }
    async fn archive_max_id(&self) -> Result<i64, crate::store::StoreError> {
        self.inner.archive_max_id().await
    }
    async fn delete_archive(&self, owner: &str) -> Result<u64, crate::store::StoreError> {
        self.inner.delete_archive(owner).await
    }
}

#[tokio::test]
async fn a_sessions_messages_share_a_commit_and_still_arrive_in_the_order_sent() {
    let (open, gate) = tokio::sync::watch::channel(false);
    let mut stores = crate::store::Stores::memory();
    let archive = Arc::new(GatedArchive {
        inner: stores.archive.clone(),
        gate,
        queued: Default::default(),
    });
    stores.archive = archive.clone();
    let h = Harness::with_stores(settings(), stores, &["alice", "bob"], Vec::new()).await;
    let alice = h.online("alice@localhost/a").await;
    let mut bob = h.online("bob@localhost/b").await;
    // As the XMPP door hands them over: one turn each, all in flight at once.
    let mut pipeline = crate::core::routing::pipeline::Pipeline::default();
    let stanzas = [
        "<message to='bob@localhost' type='chat'><body>1</body></message>",
        // A chat state: not archived, so nothing holds it back but the message before.
        "<message to='bob@localhost' type='chat'><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
        "<message to='bob@localhost' type='chat'><body>2</body></message>",
        "<presence to='bob@localhost' type='unavailable'/>",
        "<message to='bob@localhost' type='chat'><body>3</body></message>",
    ];
    let mut handled = futures::stream::FuturesUnordered::new();
    for s in stanzas {
        let turn = pipeline.next(&crate::core::testkit::xml(s).name);
        handled.push(h.core.from_client(&alice.session, crate::core::testkit::xml(s), turn));
    }
    use futures::StreamExt;
    // Everything runs until only the gate holds it.
    tokio::select! {
        _ = handled.next() => panic!("nothing is done before its commit"),
        _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
    }
    assert_eq!(
        archive.queued.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the second message queued behind the first; the presence waits, so the third too"
    );
    assert!(
        bob.take().is_empty(),
        "nothing overtakes the message waiting for its commit"
    );
    open.send(true).unwrap();
    while handled.next().await.is_some() {}
    let got: Vec<String> = bob
        .take()
        .iter()
        .map(|s| body(s).unwrap_or_else(|| s.name.clone()))
        .collect();
    assert_eq!(got, ["1", "message", "2", "presence", "3"]);
}
