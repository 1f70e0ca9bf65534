// Drives a running meerkat through the generated Go SDK (sdk/go, `make sdk`), with the
// shipped event stream helper (events.go), as an application would.
//
// Started by tests/it/sdk_consumers.rs (`go test`), which runs a server and registers
// the users, with:
//
//	MEERKAT_API    the client API's base URL, e.g. http://127.0.0.1:40123/api
//	MEERKAT_USERS  accounts as jid:password, comma-separated: alice, bob, carol, and two
//	               users whose names are not in Latin script
//
// Without them only the tests that need no server run.
package consumer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	meerkat "meerkat.example/sdk/meerkat"
	"meerkat.example/sdk/meerkat/webhooks"
)

type account struct{ jid, password string }

var api = os.Getenv("MEERKAT_API")

func users(t *testing.T) []account {
	t.Helper()
	if api == "" {
		t.Skip("needs a server: run by tests/it/sdk_consumers.rs")
	}
	var accounts []account
	for _, entry := range strings.Split(os.Getenv("MEERKAT_USERS"), ",") {
		if jid, password, ok := strings.Cut(entry, ":"); ok {
			accounts = append(accounts, account{jid, password})
		}
	}
	if len(accounts) < 5 {
		t.Fatal("MEERKAT_USERS must name five accounts as jid:password")
	}
	return accounts
}

func client() *meerkat.APIClient {
	config := meerkat.NewConfiguration()
	config.Servers = meerkat.ServerConfigurations{{URL: api}}
	return meerkat.NewAPIClient(config)
}

// as is the context that logs in as a.
func as(a account) context.Context {
	return context.WithValue(context.Background(), meerkat.ContextBasicAuth,
		meerkat.BasicAuth{UserName: a.jid, Password: a.password})
}

func unique(text string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return text + " " + hex.EncodeToString(b)
}

// errorText is the status and the error text of a failed call.
func errorText(t *testing.T, response *http.Response, err error) (int, string) {
	t.Helper()
	text, ok := meerkat.ErrorText(err)
	if !ok {
		t.Fatalf("expected an error answer, got %v", err)
	}
	status := 0
	if response != nil {
		status = response.StatusCode
	}
	return status, text
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		var failure *meerkat.GenericOpenAPIError
		if errors.As(err, &failure) {
			t.Fatalf("%v: %s", err, failure.Body())
		}
		t.Fatal(err)
	}
}

func equal(t *testing.T, got, want interface{}) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func send(t *testing.T, from, to account, body string) string {
	t.Helper()
	sent, _, err := client().MessagesAPI.SendMessage(as(from)).
		MessageRequest(*meerkat.NewMessageRequest(to.jid, body)).Execute()
	check(t, err)
	return sent.Id
}

func TestSendAndPageHistoryByCursor(t *testing.T) {
	u := users(t)
	var bodies []string
	for i := 0; i < 4; i++ {
		bodies = append(bodies, unique("cursor"))
		send(t, u[0], u[1], bodies[i])
	}
	history := client().MessagesAPI
	newest, _, err := history.GetMessagesWith(as(u[1]), u[0].jid).Limit(2).Execute()
	check(t, err)
	equal(t, []string{newest[0].Body, newest[1].Body}, bodies[2:])
	equal(t, [2]string{newest[0].From, newest[0].To}, [2]string{u[0].jid, u[1].jid})
	older, _, err := history.GetMessagesWith(as(u[1]), u[0].jid).Limit(2).BeforeId(newest[0].ArchiveId).Execute()
	check(t, err)
	equal(t, []string{older[0].Body, older[1].Body}, bodies[:2])
	after, _, err := history.GetMessagesWith(as(u[1]), u[0].jid).Limit(10).AfterId(older[0].ArchiveId).Execute()
	check(t, err)
	var got []string
	for _, m := range after {
		got = append(got, m.Body)
	}
	equal(t, got, bodies[1:])
}

func TestRoomCreateInviteSendRead(t *testing.T) {
	u := users(t)
	rooms := client().RoomsAPI
	created, _, err := rooms.CreateRoom(as(u[0])).RoomRequest(*meerkat.NewRoomRequest("SDK fans", "Generated clients")).Execute()
	check(t, err)
	room := created.Id
	_, err = rooms.InviteToRoom(as(u[0]), room).RoomInvite(*meerkat.NewRoomInvite(u[1].jid)).Execute()
	check(t, err)

	details, _, err := rooms.GetRoom(as(u[1]), room).Execute()
	check(t, err)
	equal(t, details.Name, "SDK fans")
	var roles [][2]string
	for _, p := range details.Participants {
		roles = append(roles, [2]string{p.User, string(p.Role)})
	}
	equal(t, roles, [][2]string{{u[0].jid, string(meerkat.ROOMROLE_OWNER)}, {u[1].jid, string(meerkat.ROOMROLE_MEMBER)}})

	text := unique("hello room")
	message := meerkat.NewRoomMessage()
	message.SetBody(text)
	sent, _, err := rooms.SendRoomMessage(as(u[1]), room).RoomMessage(*message).Execute()
	check(t, err)
	archive, _, err := rooms.GetRoomMessages(as(u[0]), room).Limit(10).Execute()
	check(t, err)
	last := archive[len(archive)-1]
	equal(t, []string{string(last.Type), last.Id, last.From, last.GetBody()},
		[]string{string(meerkat.ROOMEVENTTYPE_MESSAGE), sent.Id, u[1].jid, text})
	var joined *meerkat.RoomEvent
	for i := range archive {
		if archive[i].Type == meerkat.ROOMEVENTTYPE_AFFILIATION {
			joined = &archive[i]
		}
	}
	if joined == nil || joined.GetUser() != u[1].jid || joined.GetAffiliation() != meerkat.AFFILIATION_MEMBER {
		t.Fatalf("no join of %s in %#v", u[1].jid, archive)
	}
}

func TestErrorsAreReadAsTheirTexts(t *testing.T) {
	u := users(t)
	_, response, err := client().RoomsAPI.GetRoom(as(u[0]), "nosuchroom").Execute()
	status, text := errorText(t, response, err)
	equal(t, []interface{}{status, text}, []interface{}{404, "Room not found"})

	room, _, err := client().RoomsAPI.CreateRoom(as(u[0])).RoomRequest(*meerkat.NewRoomRequest("Empty", "Nothing")).Execute()
	check(t, err)
	_, response, err = client().RoomsAPI.SendRoomMessage(as(u[0]), room.Id).RoomMessage(*meerkat.NewRoomMessage()).Execute()
	status, text = errorText(t, response, err)
	equal(t, []interface{}{status, text}, []interface{}{400, "No valid message elements"})

	wrong := as(account{u[0].jid, "wrong password"})
	_, response, err = client().MessagesAPI.GetMessages(wrong).Execute()
	status, text = errorText(t, response, err)
	equal(t, []interface{}{status, text}, []interface{}{401, "Invalid credentials"})
}

// next is the stream's next event, or a failure after 15 seconds.
func next(t *testing.T, events *meerkat.EventStream) *meerkat.Event {
	t.Helper()
	type result struct {
		event *meerkat.Event
		err   error
	}
	done := make(chan result, 1)
	go func() {
		event, err := events.Next()
		done <- result{event, err}
	}()
	select {
	case r := <-done:
		check(t, r.err)
		return r.event
	case <-time.After(15 * time.Second):
		events.Close()
		t.Fatal("no event within 15 s")
		return nil
	}
}

func TestEventStreamYieldsTypedEvents(t *testing.T) {
	u := users(t)
	events := meerkat.NewEventStream(as(u[1]), client(), meerkat.EventStreamOptions{})
	defer events.Close()
	check(t, events.Open())

	text := unique("live")
	send(t, u[0], u[1], text)
	event := next(t, events)
	equal(t, event.Name, "message")
	equal(t, []string{event.Message.From, event.Message.To, event.Message.Body}, []string{u[0].jid, u[1].jid, text})
	if event.ID == "" || event.ID != events.LastEventID {
		t.Fatalf("event id %q, stream's last id %q", event.ID, events.LastEventID)
	}

	rooms := client().RoomsAPI
	created, _, err := rooms.CreateRoom(as(u[0])).RoomRequest(*meerkat.NewRoomRequest("Stream", "Events")).Execute()
	check(t, err)
	_, err = rooms.InviteToRoom(as(u[0]), created.Id).RoomInvite(*meerkat.NewRoomInvite(u[1].jid)).Execute()
	check(t, err)
	joined := next(t, events)
	equal(t, joined.Name, "room.message")
	equal(t, []string{joined.RoomEvent.Room, string(joined.RoomEvent.Type), joined.RoomEvent.GetUser(), string(joined.RoomEvent.GetAffiliation())},
		[]string{created.Id, string(meerkat.ROOMEVENTTYPE_AFFILIATION), u[1].jid, string(meerkat.AFFILIATION_MEMBER)})
}

func TestEventStreamRefusesWrongCredentialsWithTheText(t *testing.T) {
	u := users(t)
	events := meerkat.NewEventStream(as(account{u[1].jid, "nope"}), client(), meerkat.EventStreamOptions{Reconnect: true})
	err := events.Open()
	_, text := errorText(t, nil, err)
	equal(t, text, "Invalid credentials")
}

func TestUsersWithNonLatinNamesLogIn(t *testing.T) {
	u := users(t)
	for _, me := range u[3:5] {
		text := unique("from " + me.jid)
		send(t, me, u[0], text)
		mine, _, err := client().MessagesAPI.GetMessages(as(me)).Limit(50).Execute()
		check(t, err)
		found := false
		for _, m := range mine {
			if m.Body == text {
				found = true
				equal(t, [2]string{m.From, m.To}, [2]string{me.jid, u[0].jid})
			}
		}
		if !found {
			t.Fatalf("%s does not see the message it sent", me.jid)
		}
		contacts, _, err := client().ContactsAPI.ListContacts(as(me)).Execute()
		check(t, err)
		equal(t, len(contacts), 0)

		events := meerkat.NewEventStream(as(me), client(), meerkat.EventStreamOptions{})
		check(t, events.Open())
		events.Close()

		_, response, err := client().MessagesAPI.GetMessages(as(account{me.jid, "wrong"})).Execute()
		status, _ := errorText(t, response, err)
		equal(t, status, 401)
	}
}

// Named as JIDs (any letter case), not only logging in: carol writes to each, pages the
// history with them, adds them as contacts and invites them to a room.
func TestUsersWithNonLatinNamesAreWrittenToAddedAndInvited(t *testing.T) {
	u := users(t)
	carol := u[2]
	created, _, err := client().RoomsAPI.CreateRoom(as(carol)).RoomRequest(*meerkat.NewRoomRequest("Все вместе", "大家")).Execute()
	check(t, err)
	for _, them := range u[3:5] {
		text := unique("to " + them.jid)
		send(t, carol, account{strings.ToUpper(them.jid), ""}, text)
		withThem, _, err := client().MessagesAPI.GetMessagesWith(as(carol), strings.ToUpper(them.jid)).Limit(1).Execute()
		check(t, err)
		equal(t, len(withThem), 1)
		equal(t, [2]string{withThem[0].To, withThem[0].Body}, [2]string{them.jid, text})
		theirs, _, err := client().MessagesAPI.GetMessagesWith(as(them), carol.jid).Limit(1).Execute()
		check(t, err)
		equal(t, len(theirs), 1)
		equal(t, [2]string{theirs[0].From, theirs[0].Body}, [2]string{carol.jid, text})
		_, err = client().ContactsAPI.AddContact(as(carol)).ContactRequest(*meerkat.NewContactRequest(them.jid)).Execute()
		check(t, err)
		_, err = client().RoomsAPI.InviteToRoom(as(carol), created.Id).RoomInvite(*meerkat.NewRoomInvite(them.jid)).Execute()
		check(t, err)
		theirRooms, _, err := client().RoomsAPI.ListRooms(as(them)).Execute()
		check(t, err)
		found := false
		for _, r := range theirRooms {
			found = found || r.Id == created.Id
		}
		if !found {
			t.Fatalf("%s is not in the room it was invited to", them.jid)
		}
	}
	contacts, _, err := client().ContactsAPI.ListContacts(as(carol)).Execute()
	check(t, err)
	var jids []string
	for _, c := range contacts {
		jids = append(jids, c.Jid)
	}
	sort.Strings(jids)
	want := []string{u[3].jid, u[4].jid}
	sort.Strings(want)
	equal(t, jids, want)
	outcome, _, err := client().ContactsAPI.DeleteContacts(as(carol)).
		ContactsToDelete(*meerkat.NewContactsToDelete(want)).Execute()
	check(t, err)
	equal(t, len(outcome.NotDeleted), 0)
}

func TestFrameParserFollowsTheEventStreamFormat(t *testing.T) {
	var parser meerkat.FrameParser
	text := ": connected\r\nretry: 3000\r\n\r\nid: 7\nevent: room.message\ndata: {\"a\":\ndata:  1}\n\n: keepalive\n\ndata: x\r"
	var frames []meerkat.Frame
	for i := 0; i < len(text); i += 3 { // any split, including inside CRLF
		end := i + 3
		if end > len(text) {
			end = len(text)
		}
		frames = append(frames, parser.Feed([]byte(text[i:end]))...)
	}
	frames = append(frames, parser.Feed([]byte("\n\n"))...)
	equal(t, parser.Retry, 3*time.Second)
	equal(t, frames, []meerkat.Frame{
		{Event: "room.message", Data: "{\"a\":\n 1}", ID: "7"},
		{Event: "message", Data: "x", ID: "7"}, // ids carry over
	})
}

func TestEventStreamReconnectsWithLastEventID(t *testing.T) {
	var seen []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Last-Event-ID"))
		n := len(seen)
		w.Header().Set("Content-Type", "text/event-stream")
		data := `{"archive_id":"` + strconv.Itoa(n) + `","id":"m","from":"a@localhost","to":"b@localhost","timestamp":1,"body":"` + strconv.Itoa(n) + `"}`
		_, _ = io.WriteString(w, "retry: 10\n\nid: "+strconv.Itoa(n)+"\nevent: message\ndata: "+data+"\n\n")
	}))
	defer server.Close()
	config := meerkat.NewConfiguration()
	config.Servers = meerkat.ServerConfigurations{{URL: server.URL + "/api"}}
	ctx := context.WithValue(context.Background(), meerkat.ContextBasicAuth, meerkat.BasicAuth{UserName: "b@localhost", Password: "pw"})
	events := meerkat.NewEventStream(ctx, meerkat.NewAPIClient(config), meerkat.EventStreamOptions{LastEventID: "0", Reconnect: true})
	var got []string
	for i := 0; i < 3; i++ {
		got = append(got, next(t, events).Message.Body)
	}
	events.Close()
	equal(t, got, []string{"1", "2", "3"})
	equal(t, seen, []string{"0", "1", "2"})
}

func TestTheWebhookHelperVerifiesASignedDelivery(t *testing.T) {
	secret, body := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []byte(`{"test": 2432232314}`)
	signature, err := webhooks.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
	check(t, err)
	equal(t, signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	header := http.Header{}
	header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	header.Set("webhook-timestamp", "1614265330")
	header.Set("webhook-signature", signature)
	at := time.Unix(1614265330, 0)
	check(t, webhooks.VerifyAt(secret, header, body, at))
	if webhooks.VerifyAt(secret, header, append(body, ' '), at) == nil {
		t.Fatal("a changed body was accepted")
	}
}
