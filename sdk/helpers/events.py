"""The event stream of meerkat's client API (``GET /api/sse``), read through the SDK.

OpenAPI describes what each event carries (the ``StreamedChatMessage`` and
``StreamedRoomEvent`` schemas) but not how to read a stream of them, so the generator
cannot write this part. This module is hand-written and copied into the generated
package by ``make sdk`` (as ``meerkat_client.events``). It opens the stream with the
generated ``SseApi``, so the ``Configuration`` given to the ``ApiClient`` (host, Basic
credentials or bearer token, TLS settings) applies as for every other call, and it turns
each frame into the generated model::

    from meerkat_client import ApiClient, Configuration
    from meerkat_client.events import EventStream

    config = Configuration(host="https://chat.example.com/api",
                           username="alice@example.com", password="secret")
    with ApiClient(config) as client, EventStream(client) as events:
        for event in events:          # reconnects by itself, with Last-Event-ID
            if event.name == "message":
                print(event.data.from_, event.data.body)   # a StreamedChatMessage
            elif event.name == "room.message":
                print(event.data.room, event.data.type)    # a StreamedRoomEvent
            else:                                           # "message.error"
                print(event.data.to, event.data.condition)  # a StreamedMessageError

The frame parser (:class:`FrameParser`) follows the HTML Living Standard's rules for
``text/event-stream`` and knows nothing about sockets; :class:`EventStream` does the I/O.
"""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass
from typing import Iterator, List, Optional, Union

import urllib3

from meerkat_client.api.sse_api import SseApi
from meerkat_client.api_client import ApiClient
from meerkat_client.models.streamed_chat_message import StreamedChatMessage
from meerkat_client.models.streamed_message_error import StreamedMessageError
from meerkat_client.models.streamed_room_event import StreamedRoomEvent
from meerkat_client.rest import RESTResponse

__all__ = ["Event", "EventStream", "Frame", "FrameParser", "to_event"]

#: How long to wait before reconnecting until the server says otherwise (``retry:``).
DEFAULT_RETRY_MS = 3000


@dataclass(frozen=True)
class Frame:
    """One dispatched server-sent event, before its data is interpreted."""

    #: The ``event:`` field; ``message`` when the frame has none.
    event: str
    #: The ``data:`` lines joined with line feeds.
    data: str
    #: The last ``id:`` seen on the stream so far (ids carry over to later frames).
    id: Optional[str]


class FrameParser:
    """Turns the bytes of a ``text/event-stream`` into :class:`Frame` objects.

    Feed it chunks as they arrive, in any split; it keeps partial lines. Comments
    (``: keepalive``) and frames without data are dropped, as a browser drops them.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._pending_cr = False
        self._event = ""
        self._data: List[str] = []
        self.last_event_id: Optional[str] = None
        #: The reconnection delay the server asked for (``retry:``), if it did.
        self.retry_ms: Optional[int] = None

    def feed(self, text: str) -> List[Frame]:
        """Parses ``text`` (decoded UTF-8) and returns the frames it completed."""
        if self._pending_cr and text.startswith("\n"):
            text = text[1:]  # the second half of a CRLF split across chunks
        self._pending_cr = False
        self._buffer += text
        frames: List[Frame] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                return frames
            start, end = cut
            if end == len(self._buffer) and self._buffer.endswith("\r"):
                self._pending_cr = True  # a LF may follow in the next chunk
            line, self._buffer = self._buffer[:start], self._buffer[end:]
            frame = self._line(line)
            if frame is not None:
                frames.append(frame)

    def _line(self, line: str) -> Optional[Frame]:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry":
            if value.isdigit():
                self.retry_ms = int(value)
        return None

    def _dispatch(self) -> Optional[Frame]:
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        return Frame(event=event, data="\n".join(data), id=self.last_event_id)


def _line_end(buffer: str) -> Optional[tuple]:
    """The (start, end) of the first line terminator (CRLF, LF or CR) in ``buffer``."""
    for i, c in enumerate(buffer):
        if c == "\n":
            return i, i + 1
        if c == "\r":
            if i + 1 < len(buffer) and buffer[i + 1] == "\n":
                return i, i + 2
            return i, i + 1
    return None


@dataclass(frozen=True)
class Event:
    """An event of the stream, with its data as the generated model."""

    #: ``message`` (one-to-one chat), ``room.message`` (a room's message or
    #: affiliation change) or ``message.error`` (a message of the user's that came back
    #: undelivered; no id).
    name: str
    #: The event's ``id:``, the ``archive_id`` of the item; resume from it.
    id: Optional[str]
    data: Union[StreamedChatMessage, StreamedRoomEvent, StreamedMessageError]


def to_event(frame: Frame) -> Optional[Event]:
    """The typed event for ``frame``; ``None`` for an event name this SDK does not know
    (a newer server may send more kinds; they are skipped, not errors)."""
    if frame.event == "message":
        data = StreamedChatMessage.from_json(frame.data)
    elif frame.event == "room.message":
        data = StreamedRoomEvent.from_json(frame.data)
    elif frame.event == "message.error":
        data = StreamedMessageError.from_json(frame.data)
    else:
        return None
    return Event(name=frame.event, id=frame.id, data=data)


class EventStream:
    """Iterates the events of ``GET /api/sse`` for the ``ApiClient``'s user.

    ``last_event_id`` resumes after an event already seen. When the stream ends or the
    connection fails, it reconnects after the server's ``retry:`` delay and sends the
    last id it saw as ``Last-Event-ID``, so no event is lost or repeated (unless
    ``reconnect`` is false: then the iteration ends with the stream). An error answer
    (``401``, ``400 "Invalid Last-Event-ID"``…) is raised as the SDK's exception for its
    status, whose ``data`` is the error text.

    ``read_timeout`` (seconds) bounds the wait for the connection and then for any
    byte; the server sends a keep-alive comment every 30 seconds, so a value above that
    detects a dead connection (``None``: wait as long as it takes). ``access_token`` sends a bearer token in the query string instead of
    the configured credentials (as a browser's ``EventSource`` must).
    """

    def __init__(
        self,
        api_client: ApiClient,
        last_event_id: Optional[str] = None,
        reconnect: bool = True,
        read_timeout: Optional[float] = None,
        access_token: Optional[str] = None,
    ) -> None:
        self._api = SseApi(api_client)
        self._api_client = api_client
        self.last_event_id = last_event_id
        self.reconnect = reconnect
        self.read_timeout = read_timeout
        self.access_token = access_token
        self.retry_ms = DEFAULT_RETRY_MS
        self._response: Optional[urllib3.BaseHTTPResponse] = None
        self._closed = False

    def open(self) -> None:
        """Opens the stream now (iterating opens it otherwise). Once this returns, the
        server counts the user online and routes new events to this stream."""
        if self._response is not None:
            return
        # A pair is (connect, read); a single number would bound the whole stream.
        timeout = (self.read_timeout, self.read_timeout) if self.read_timeout else None
        response = self._api.open_event_stream_without_preload_content(
            last_event_id=self.last_event_id,
            access_token=self.access_token,
            _request_timeout=timeout,
        )
        if response.status != 200:
            rest = RESTResponse(response)
            rest.read()
            # Raises the SDK's exception for the status, with the error text as `data`.
            self._api_client.response_deserialize(response_data=rest, response_types_map=_ERROR_TYPES)
        self._response = response

    def close(self) -> None:
        """Ends the stream and any reconnection; the server ends the session."""
        self._closed = True
        self._drop()

    def __enter__(self) -> "EventStream":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[Event]:
        while not self._closed:
            try:
                self.open()
                yield from self._read()
            except Exception as e:
                if self._closed:
                    return  # closed while reading: whatever the read raised is moot
                connection_failed = isinstance(e, (urllib3.exceptions.HTTPError, OSError))
                if not (connection_failed and self.reconnect):
                    raise
            self._drop()
            if not self.reconnect or self._closed:
                return
            time.sleep(self.retry_ms / 1000)

    def _read(self) -> Iterator[Event]:
        response = self._response
        assert response is not None
        parser = FrameParser()
        parser.last_event_id = self.last_event_id
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        for chunk in response.stream(4096, decode_content=True):
            for frame in parser.feed(decoder.decode(chunk)):
                self.last_event_id = frame.id
                event = to_event(frame)
                if event is not None:
                    yield event
            if parser.retry_ms is not None:
                self.retry_ms = parser.retry_ms

    def _drop(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            response.close()


_ERROR_TYPES = {status: "str" for status in ("400", "401", "413", "429", "503")}
