"""Standard Webhooks signatures, so a receiver verifies with any of its libraries.

``webhook-id`` is the CloudEvent's id, the same on every retry and redelivery, so a receiver
deduplicates on it; ``webhook-timestamp`` is this attempt's, so it can refuse a replay of an
old one. While a rotated secret is in its grace period, every message is signed with both.
"""

import base64
import hashlib
import hmac
from datetime import datetime

from gezinsplan.webhooks.models import Subscription

PREFIX = "whsec_"


def key_of(secret: str) -> bytes:
    """The HMAC key: the base64 after ``whsec_``."""
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(subscription: Subscription, now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    found = [subscription.secret]
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and until > now:
        found.append(subscription.previous_secret)
    return found


def headers(
    subscription: Subscription, message_id: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at ``now``."""
    timestamp = int(now.timestamp())
    signatures = [
        signature(secret, message_id, timestamp, body)
        for secret in signing_secrets(subscription, now)
    ]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
