// The event stream of meerkat's client API (GET /api/sse), read through the SDK.
//
// OpenAPI describes what each event carries (the StreamedChatMessage, StreamedRoomEvent
// and StreamedMessageError schemas) but not how to read a stream of them, and the
// generated SseAPI reads a whole answer before returning it, which a stream never ends.
// This file is hand-written and copied into the generated package by `make sdk` (as
// events.go). It opens the stream with the generated client's request machinery, so the
// Configuration (servers, default headers, HTTPClient) and the context's credentials
// (ContextBasicAuth, ContextAccessToken) apply as for every other call, and it turns
// each frame into the generated model:
//
//	ctx := context.WithValue(context.Background(), meerkat.ContextBasicAuth,
//		meerkat.BasicAuth{UserName: "alice@example.com", Password: "secret"})
//	events := meerkat.NewEventStream(ctx, client, meerkat.EventStreamOptions{Reconnect: true})
//	defer events.Close()
//	for {
//		event, err := events.Next() // reconnects by itself, with Last-Event-ID
//		if err != nil {
//			break // io.EOF once closed; an error answer's text: meerkat.ErrorText(err)
//		}
//		switch event.Name {
//		case "message":
//			fmt.Println(event.Message.From, event.Message.Body)
//		case "room.message":
//			fmt.Println(event.RoomEvent.Room, event.RoomEvent.Type)
//		case "message.error":
//			fmt.Println(event.Error.To, event.Error.Condition)
//		}
//	}
//
// The frame parser (FrameParser) follows the HTML Living Standard's rules for
// text/event-stream and knows nothing about I/O.

package meerkat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRetry is how long to wait before reconnecting until the server says otherwise
// (`retry:`).
const DefaultRetry = 3 * time.Second

// Frame is one dispatched server-sent event, before its data is interpreted.
type Frame struct {
	// Event is the `event:` field; "message" when the frame has none.
	Event string
	// Data is the `data:` lines joined with line feeds.
	Data string
	// ID is the last `id:` seen on the stream so far (ids carry over to later frames).
	ID string
}

// FrameParser turns the bytes of a text/event-stream into frames. Feed it chunks as
// they arrive, in any split; it keeps partial lines. Comments (`: keepalive`) and
// frames without data are dropped, as a browser drops them.
type FrameParser struct {
	// LastEventID is the last `id:` seen.
	LastEventID string
	// Retry is the reconnection delay the server asked for (`retry:`), or zero.
	Retry     time.Duration
	buffer    []byte
	pendingCR bool
	event     string
	data      []string
}

// Feed parses chunk and returns the frames it completed.
func (p *FrameParser) Feed(chunk []byte) []Frame {
	if p.pendingCR && len(chunk) > 0 && chunk[0] == '\n' {
		chunk = chunk[1:] // the second half of a CRLF split across chunks
	}
	p.pendingCR = false
	p.buffer = append(p.buffer, chunk...)
	var frames []Frame
	for {
		cut := bytes.IndexAny(p.buffer, "\r\n")
		if cut < 0 {
			return frames
		}
		end := cut + 1
		if p.buffer[cut] == '\r' {
			if end < len(p.buffer) && p.buffer[end] == '\n' {
				end++
			} else if end == len(p.buffer) {
				p.pendingCR = true // a LF may follow in the next chunk
			}
		}
		line := string(p.buffer[:cut])
		p.buffer = p.buffer[end:]
		if frame, ok := p.line(line); ok {
			frames = append(frames, frame)
		}
	}
}

func (p *FrameParser) line(line string) (Frame, bool) {
	if line == "" {
		return p.dispatch()
	}
	if strings.HasPrefix(line, ":") {
		return Frame{}, false
	}
	field, value := line, ""
	if colon := strings.IndexByte(line, ':'); colon >= 0 {
		field, value = line[:colon], strings.TrimPrefix(line[colon+1:], " ")
	}
	switch field {
	case "event":
		p.event = value
	case "data":
		p.data = append(p.data, value)
	case "id":
		if !strings.ContainsRune(value, 0) {
			p.LastEventID = value
		}
	case "retry":
		if ms, err := strconv.ParseUint(value, 10, 31); err == nil {
			p.Retry = time.Duration(ms) * time.Millisecond
		}
	}
	return Frame{}, false
}

func (p *FrameParser) dispatch() (Frame, bool) {
	event, data := p.event, p.data
	p.event, p.data = "", nil
	if len(data) == 0 {
		return Frame{}, false
	}
	if event == "" {
		event = "message"
	}
	return Frame{Event: event, Data: strings.Join(data, "\n"), ID: p.LastEventID}, true
}

// Event is an event of the stream, with its data as the generated model: exactly one
// of Message, RoomEvent and Error is set, by Name.
type Event struct {
	// Name is "message" (one-to-one chat), "room.message" (a room's message or
	// affiliation change) or "message.error" (a message of the user's that came back
	// undelivered; no id).
	Name string
	// ID is the event's `id:`, the archive_id of the item; resume from it.
	ID        string
	Message   *StreamedChatMessage
	RoomEvent *StreamedRoomEvent
	Error     *StreamedMessageError
}

// ToEvent is the typed event for frame; nil (and no error) for an event name this SDK
// does not know (a newer server may send more kinds; they are skipped, not errors).
func ToEvent(frame Frame) (*Event, error) {
	event := &Event{Name: frame.Event, ID: frame.ID}
	var target interface{}
	switch frame.Event {
	case "message":
		event.Message = &StreamedChatMessage{}
		target = event.Message
	case "room.message":
		event.RoomEvent = &StreamedRoomEvent{}
		target = event.RoomEvent
	case "message.error":
		event.Error = &StreamedMessageError{}
		target = event.Error
	default:
		return nil, nil
	}
	if err := json.Unmarshal([]byte(frame.Data), target); err != nil {
		return nil, err
	}
	return event, nil
}

// EventStreamOptions are the choices of NewEventStream.
type EventStreamOptions struct {
	// LastEventID resumes after this event id (an archive_id already seen).
	LastEventID string
	// Reconnect when the stream ends or the connection fails.
	Reconnect bool
	// AccessToken is sent as the access_token query parameter.
	AccessToken string
}

// EventStream iterates the events of GET /sse for the user of its context's
// credentials.
//
// With Reconnect, when the stream ends or the connection fails, it reconnects after
// the server's `retry:` delay and sends the last id it saw as Last-Event-ID, so no event
// is lost or repeated; without, Next returns io.EOF when the stream ends. An error
// answer (401, 400 "Invalid Last-Event-ID"…) is returned as *GenericOpenAPIError (its
// text: ErrorText), and never retried. Close ends the stream from any goroutine.
type EventStream struct {
	// LastEventID is the id of the last event returned (or the one resumed from).
	LastEventID string
	// Retry is the delay before reconnecting.
	Retry   time.Duration
	client  *APIClient
	ctx     context.Context
	options EventStreamOptions

	mu     sync.Mutex
	cancel context.CancelFunc
	body   io.ReadCloser
	closed bool

	parser  FrameParser
	pending []Frame
}

// NewEventStream prepares a stream; Open or the first Next opens it. ctx carries the
// credentials, and cancelling it ends the stream.
func NewEventStream(ctx context.Context, client *APIClient, options EventStreamOptions) *EventStream {
	return &EventStream{
		LastEventID: options.LastEventID,
		Retry:       DefaultRetry,
		client:      client,
		ctx:         ctx,
		options:     options,
	}
}

// Open opens the stream now (Next opens it otherwise). Once it returns, the server
// counts the user online and routes new events to this stream.
func (s *EventStream) Open() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return io.EOF
	}
	if s.body != nil {
		s.mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.cancel = cancel
	s.mu.Unlock()

	base, err := s.client.cfg.ServerURLWithContext(ctx, "SseAPIService.OpenEventStream")
	if err != nil {
		cancel()
		return &GenericOpenAPIError{error: err.Error()}
	}
	headers := map[string]string{"Accept": "text/event-stream"}
	if s.LastEventID != "" {
		headers["Last-Event-ID"] = s.LastEventID
	}
	query := url.Values{}
	if s.options.AccessToken != "" {
		query.Set("access_token", s.options.AccessToken)
	}
	request, err := s.client.prepareRequest(ctx, base+"/sse", http.MethodGet, nil, headers, query, url.Values{}, nil)
	if err != nil {
		cancel()
		return err
	}
	response, err := s.client.callAPI(request)
	if err != nil {
		cancel()
		return err
	}
	if response.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(response.Body)
		response.Body.Close()
		cancel()
		failure := &GenericOpenAPIError{body: body, error: response.Status}
		var text string
		if json.Unmarshal(body, &text) == nil {
			failure.error = formatErrorMessage(response.Status, &text)
			failure.model = text
		}
		return failure
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		response.Body.Close()
		cancel()
		return io.EOF
	}
	s.body = response.Body
	s.parser = FrameParser{LastEventID: s.LastEventID}
	return nil
}

// Next blocks until the next event and returns it. It returns io.EOF once the stream is
// closed, or has ended without Reconnect.
func (s *EventStream) Next() (*Event, error) {
	buffer := make([]byte, 4096)
	for {
		for len(s.pending) > 0 {
			frame := s.pending[0]
			s.pending = s.pending[1:]
			s.LastEventID = frame.ID
			event, err := ToEvent(frame)
			if err != nil {
				return nil, err
			}
			if event != nil {
				return event, nil
			}
		}
		if err := s.Open(); err != nil {
			if s.isClosed() {
				return nil, io.EOF // closed while connecting: whatever failed is moot
			}
			var answer *GenericOpenAPIError
			if errors.As(err, &answer) || errors.Is(err, io.EOF) || !s.options.Reconnect {
				return nil, err
			}
			if err := s.wait(); err != nil {
				return nil, err
			}
			continue
		}
		s.mu.Lock()
		body := s.body
		s.mu.Unlock()
		if body == nil {
			return nil, io.EOF
		}
		n, err := body.Read(buffer)
		s.pending = append(s.pending, s.parser.Feed(buffer[:n])...)
		if s.parser.Retry > 0 {
			s.Retry = s.parser.Retry
		}
		if err == nil {
			continue
		}
		s.drop()
		if len(s.pending) > 0 {
			continue // hand out what arrived before the end first
		}
		if s.isClosed() {
			return nil, io.EOF
		}
		if !s.options.Reconnect {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, err
		}
		if err := s.wait(); err != nil {
			return nil, err
		}
	}
}

// Close ends the stream and any reconnection; the server ends the session. A Next
// waiting in another goroutine returns io.EOF.
func (s *EventStream) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.drop()
}

func (s *EventStream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *EventStream) drop() {
	s.mu.Lock()
	body, cancel := s.body, s.cancel
	s.body, s.cancel = nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if body != nil {
		body.Close()
	}
}

// wait sleeps the retry delay before a reconnection; io.EOF when closed meanwhile.
func (s *EventStream) wait() error {
	select {
	case <-time.After(s.Retry):
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	if s.isClosed() {
		return io.EOF
	}
	return nil
}
