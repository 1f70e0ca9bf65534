package webhooks

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

// The Standard Webhooks convention's published test vector.
func TestThePublishedVectorVerifies(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	const signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	body := []byte(`{"test": 2432232314}`)
	got, err := Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
	if err != nil || got != signature {
		t.Fatalf("Sign = %q, %v; want %q", got, err, signature)
	}
	header := http.Header{}
	header.Set("Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	header.Set("Webhook-Timestamp", "1614265330")
	header.Set("Webhook-Signature", signature)
	at := time.Unix(1614265330, 0)
	if err := VerifyAt(secret, header, body, at); err != nil {
		t.Fatalf("the vector does not verify: %v", err)
	}
	if err := VerifyAt(secret, header, []byte(`{"test": 2432232315}`), at); !errors.Is(err, ErrVerification) {
		t.Fatalf("a changed body verified: %v", err)
	}
	if err := VerifyAt(secret, header, body, at.Add(Tolerance+time.Second)); !errors.Is(err, ErrVerification) {
		t.Fatalf("a stale delivery verified: %v", err)
	}
}
