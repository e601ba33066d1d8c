"""Signing secrets as Standard Webhooks writes them: ``whsec_`` and base64 of random bytes."""

import base64
import secrets

PREFIX = "whsec_"
# Standard Webhooks asks for 24 to 64 random bytes; 32 is HMAC-SHA256's own key size.
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
