"""Checks that a webhook delivery comes from your meerkat server.

meerkat signs every webhook delivery (``[modules.mod_event_pusher.http]``, see
docs/webhooks.md) as the Standard Webhooks convention says: three headers,
``webhook-id`` (the event's id: an archive id, or ``account-<n>``), ``webhook-timestamp``
(Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` of
``"{id}.{timestamp}.{body}"``, keyed with the endpoint's secret ``whsec_<base64>``).
This module checks them with the standard library only; copy it next to your receiver::

    from webhooks import verify, WebhookVerificationError

    def receive(headers, body: bytes):        # the raw body, before any JSON parsing
        try:
            event = verify(SECRET, headers, body)
        except WebhookVerificationError:
            return 400
        if seen_before(headers["webhook-id"]):  # deliveries are at least once
            return 204
        handle(event["type"], event["data"])
        return 204

Run as a script, it checks itself against the convention's published test vector.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional

SECRET_PREFIX = "whsec_"
#: How far a delivery's timestamp may be from now, in seconds (replayed requests are refused).
TOLERANCE = 5 * 60


class WebhookVerificationError(Exception):
    """The delivery is not signed by the secret, or its timestamp is too far from now."""


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise WebhookVerificationError("the secret does not start with whsec_")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except ValueError as e:
        raise WebhookVerificationError("the secret is not base64") from e


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value for a delivery (``v1,<base64>``)."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    raise WebhookVerificationError(f"missing header {name}")


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = TOLERANCE,
    now: Optional[float] = None,
) -> Any:
    """The delivery's JSON body, once its signature and timestamp are checked.

    ``headers`` is any mapping of the request's headers (names in any case); ``body`` the
    raw bytes as received. Raises :class:`WebhookVerificationError` otherwise.
    """
    webhook_id = _header(headers, "webhook-id")
    try:
        timestamp = int(_header(headers, "webhook-timestamp"))
    except ValueError as e:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from e
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    expected = sign(secret, webhook_id, timestamp, body)
    # Several signatures may be given, space-separated (while a secret is rotated).
    given = _header(headers, "webhook-signature").split(" ")
    if not any(hmac.compare_digest(expected, g) for g in given):
        raise WebhookVerificationError("no signature matches")
    return json.loads(body)


def _self_test() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {
        "Webhook-Id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "Webhook-Timestamp": "1614265330",
        "Webhook-Signature": signature,
    }
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == signature
    assert verify(secret, headers, body, now=1614265330) == {"test": 2432232314}
    for bad_body, at in ((b'{"test": 2432232315}', 1614265330), (body, 1614265330 + TOLERANCE + 1)):
        try:
            verify(secret, headers, bad_body, now=at)
        except WebhookVerificationError:
            continue
        raise AssertionError("a bad delivery was accepted")
    print("webhooks.py: the published test vector verifies")


if __name__ == "__main__":
    _self_test()
