// Package webhooks checks that a webhook delivery comes from your meerkat server.
//
// meerkat signs every webhook delivery ([modules.mod_event_pusher.http], see
// docs/webhooks.md) as the Standard Webhooks convention says: three headers,
// webhook-id (the event's id: an archive id, or account-<n>), webhook-timestamp (Unix
// seconds) and webhook-signature ("v1,<base64 HMAC-SHA256>" of "{id}.{timestamp}.{body}",
// keyed with the endpoint's secret "whsec_<base64>"). Standard library only; copy this
// file into your receiver:
//
//	func receive(w http.ResponseWriter, r *http.Request) {
//		body, _ := io.ReadAll(r.Body) // the raw body, before any JSON decoding
//		if err := webhooks.Verify(secret, r.Header, body); err != nil {
//			w.WriteHeader(http.StatusBadRequest)
//			return
//		}
//		// Deliveries are at least once: skip a webhook-id seen before.
//		w.WriteHeader(http.StatusNoContent)
//	}
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every written secret.
const SecretPrefix = "whsec_"

// Tolerance is how far a delivery's timestamp may be from now (replayed requests are refused).
const Tolerance = 5 * time.Minute

// ErrVerification is returned (wrapped) for a delivery that must not be trusted.
var ErrVerification = errors.New("webhook verification failed")

func fail(why string) error {
	return fmt.Errorf("%w: %s", ErrVerification, why)
}

func key(secret string) ([]byte, error) {
	if !strings.HasPrefix(secret, SecretPrefix) {
		return nil, fail("the secret does not start with whsec_")
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		return nil, fail("the secret is not base64")
	}
	return k, nil
}

// Sign returns the webhook-signature value of a delivery ("v1,<base64>").
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	k, err := key(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Verify checks a delivery's signature and timestamp against now; body is the raw
// request body.
func Verify(secret string, header http.Header, body []byte) error {
	return VerifyAt(secret, header, body, time.Now())
}

// VerifyAt is Verify at the time now.
func VerifyAt(secret string, header http.Header, body []byte, now time.Time) error {
	id := header.Get("webhook-id")
	if id == "" {
		return fail("missing header webhook-id")
	}
	ts, err := strconv.ParseInt(header.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return fail("webhook-timestamp is not an integer")
	}
	at := time.Unix(ts, 0)
	if now.Sub(at) > Tolerance || at.Sub(now) > Tolerance {
		return fail("webhook-timestamp is too far from now")
	}
	expected, err := Sign(secret, id, ts, body)
	if err != nil {
		return err
	}
	// Several signatures may be given, space-separated (while a secret is rotated).
	for _, given := range strings.Split(header.Get("webhook-signature"), " ") {
		if hmac.Equal([]byte(given), []byte(expected)) {
			return nil
		}
	}
	return fail("no signature matches")
}
