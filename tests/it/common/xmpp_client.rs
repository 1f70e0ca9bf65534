//! The high-level XMPP client the tests log in with: tokio-xmpp's `StanzaStream` (login,
//! stream management, reconnects), owned by one task of ours that takes the test's sends
//! through a channel and hands it events and IQ answers.
//!
//! Why not tokio-xmpp 6.0's own `Client`: it shares its stream between a sending half and
//! a receiving half behind a mutex, and the receiving half answers `Pending` without
//! registering a waker when a send holds that mutex. A stanza that arrives while the test
//! is sending then stays unread for good (seen as a rare "no matching stanza within 5 s"
//! under load, with the server's log showing the stanza written and acknowledged). Here
//! nothing waits on a lock: one task polls the stream and sends.
//!
//! The surface is the one the tests used: `send_stanza`, `send_iq` (a future of the
//! answer), `send_end`, and a `Stream` of `tokio_xmpp::Event`.

use futures::{Stream, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};
use tokio_xmpp::connect::ServerConnector;
use tokio_xmpp::parsers::iq::Iq;
use tokio_xmpp::parsers::jid::{BareJid, Jid};
use tokio_xmpp::parsers::message::Id;
use tokio_xmpp::parsers::stream_features::StreamFeatures;
use tokio_xmpp::stanzastream::{self, StanzaStage, StanzaState, StanzaStream, StanzaToken, StreamEvent};
use tokio_xmpp::xmlstream::Timeouts;
use tokio_xmpp::{Event, IqFailure, IqRequest, IqResponse, Stanza};

/// Stanzas the stream may hold for the test before it stops reading (as tokio-xmpp's own
/// client does, so a test that does not read still pushes back on the server).
const QUEUE_DEPTH: usize = 16;

type Answer = Result<IqResponse, IqFailure>;

/// The answer to an IQ sent with [`Client::send_iq`].
pub type IqResponseToken = Pin<Box<dyn Future<Output = Answer> + Send>>;

enum Command {
    Send(Box<Stanza>, oneshot::Sender<StanzaToken>),
    Iq {
        to: Option<Jid>,
        request: IqRequest,
        answer: oneshot::Sender<Answer>,
        queued: oneshot::Sender<StanzaToken>,
    },
    End(oneshot::Sender<()>),
}

pub struct Client {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::Receiver<Event>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Client")
    }
}

fn worker_gone() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the client's task has ended")
}

/// A random stanza id, as tokio-xmpp gives stanzas sent without one.
fn make_id() -> String {
    rand::random::<u64>().to_string()
}

fn ensure_id(stanza: &mut Stanza) {
    match stanza {
        Stanza::Iq(iq) => {
            let id = iq.id_mut();
            if id.is_empty() {
                *id = make_id();
            }
        }
        Stanza::Message(m) => {
            m.id.get_or_insert_with(|| Id(make_id()));
        }
        Stanza::Presence(p) => {
            p.id.get_or_insert_with(make_id);
        }
    }
}

/// Whether the stanza behind `token` reached the wire; the I/O error when it did not.
async fn written(mut token: StanzaToken) -> Result<(), io::Error> {
    match token.wait_for(StanzaStage::Sent).await {
        Some(StanzaState::Sent { .. } | StanzaState::Acked { .. }) => Ok(()),
        Some(StanzaState::Failed { error }) => Err(error.into_io_error()),
        _ => Err(io::Error::new(
            io::ErrorKind::NotConnected,
            "stream disconnected fatally before stanza could be sent",
        )),
    }
}

impl Client {
    pub fn new_with_connector<C: ServerConnector>(
        jid: Jid,
        password: impl Into<String>,
        connector: C,
        timeouts: Timeouts,
    ) -> Self {
        let stream = StanzaStream::new_c2s(connector, jid, password.into(), timeouts, QUEUE_DEPTH);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(drive(stream, commands_rx, events_tx));
        Client { commands, events }
    }

    /// Sends `stanza` (with an id if it has none); returns once it is written.
    pub async fn send_stanza(&mut self, mut stanza: Stanza) -> Result<StanzaToken, io::Error> {
        ensure_id(&mut stanza);
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Send(Box::new(stanza), tx))
            .map_err(|_| worker_gone())?;
        let token = rx.await.map_err(|_| worker_gone())?;
        written(token.clone()).await?;
        Ok(token)
    }

    /// Sends an IQ request to `to` (the account itself when `None`); the returned future
    /// is its answer, collected even while the test is not reading the stream.
    pub async fn send_iq(&mut self, to: Option<Jid>, request: IqRequest) -> IqResponseToken {
        let (answer, answer_rx) = oneshot::channel();
        let (queued, queued_rx) = oneshot::channel();
        let command = Command::Iq {
            to,
            request,
            answer,
            queued,
        };
        if self.commands.send(command).is_err() {
            return Box::pin(async { Err(IqFailure::LostWorker) });
        }
        let token = queued_rx.await;
        Box::pin(async move {
            let Ok(token) = token else {
                return Err(IqFailure::LostWorker);
            };
            written(token).await.map_err(IqFailure::SendError)?;
            answer_rx.await.unwrap_or(Err(IqFailure::LostWorker))
        })
    }

    /// Closes the stream (`</stream:stream>`) and waits until it is closed.
    pub async fn send_end(self) -> Result<(), io::Error> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::End(tx)).map_err(|_| worker_gone())?;
        rx.await.map_err(|_| worker_gone())
    }
}

impl Stream for Client {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.events.poll_recv(cx)
    }
}

/// IQ requests waiting for their answer, by the JID asked and the id.
#[derive(Default)]
struct Waiting {
    account: Option<BareJid>,
    bound: Option<(Jid, StreamFeatures)>,
    answers: HashMap<(Option<Jid>, String), oneshot::Sender<Answer>>,
}

impl Waiting {
    fn request(&mut self, to: Option<Jid>, request: IqRequest, answer: oneshot::Sender<Answer>) -> Iq {
        // A server answers an IQ to the account from the account's bare JID.
        let to = to.or_else(|| self.account.clone().map(Jid::from));
        let id = make_id();
        self.answers.insert((to.clone(), id.clone()), answer);
        match request {
            IqRequest::Get(payload) => Iq::Get {
                from: None,
                to,
                id,
                payload,
            },
            IqRequest::Set(payload) => Iq::Set {
                from: None,
                to,
                id,
                payload,
            },
        }
    }

    /// What the test sees of a stream event; `None` when it was an awaited IQ answer or
    /// a state change tests do not watch.
    fn event(&mut self, event: stanzastream::Event) -> Option<Event> {
        match event {
            stanzastream::Event::Stream(StreamEvent::Reset { bound_jid, features }) => {
                self.account = Some(bound_jid.to_bare());
                self.bound = Some((bound_jid.clone(), features.clone()));
                Some(Event::Online {
                    bound_jid,
                    features,
                    resumed: false,
                })
            }
            stanzastream::Event::Stream(StreamEvent::Resumed) => {
                let (bound_jid, features) = self.bound.clone()?;
                Some(Event::Online {
                    bound_jid,
                    features,
                    resumed: true,
                })
            }
            stanzastream::Event::Stream(StreamEvent::Suspended) => None,
            stanzastream::Event::Stanza(Stanza::Iq(iq)) => self.answer(iq).map(|iq| Event::Stanza(Stanza::Iq(iq))),
            stanzastream::Event::Stanza(other) => Some(Event::Stanza(other)),
        }
    }

    /// Completes the request `iq` answers; gives back any other IQ.
    fn answer(&mut self, iq: Iq) -> Option<Iq> {
        let (from, id, response) = match &iq {
            Iq::Result { from, id, payload, .. } => (from, id, IqResponse::Result(payload.clone())),
            Iq::Error { from, id, error, .. } => (from, id, IqResponse::Error(error.clone())),
            _ => return Some(iq),
        };
        let from = from.clone().or_else(|| self.account.clone().map(Jid::from));
        match self.answers.remove(&(from, id.clone())) {
            Some(waiter) => {
                let _ = waiter.send(Ok(response));
                None
            }
            None => Some(iq),
        }
    }
}

/// The client's task: reads the stream while the test has room for events, and sends
/// whenever asked.
async fn drive(mut stream: StanzaStream, mut commands: mpsc::UnboundedReceiver<Command>, events: mpsc::Sender<Event>) {
    let mut waiting = Waiting::default();
    let mut held: Option<Event> = None;
    loop {
        tokio::select! {
            permit = events.reserve(), if held.is_some() => match (permit, held.take()) {
                (Ok(permit), Some(event)) => permit.send(event),
                _ => break,
            },
            command = commands.recv() => match command {
                None => break,
                Some(Command::Send(mut stanza, reply)) => {
                    ensure_id(&mut stanza);
                    let _ = reply.send(stream.send(stanza).await);
                }
                Some(Command::Iq { to, request, answer, queued }) => {
                    let iq = waiting.request(to, request, answer);
                    let _ = queued.send(stream.send(Box::new(iq.into())).await);
                }
                Some(Command::End(done)) => {
                    stream.close().await;
                    let _ = done.send(());
                    return;
                }
            },
            event = stream.next(), if held.is_none() => match event {
                None => break,
                Some(event) => held = waiting.event(event),
            },
        }
    }
    stream.close().await;
}
