"""Verifying what the node issued the way an outside verifier would: keys from the node's
published issuer metadata, status lists fetched from their published URLs (through the test
client), and `sdjwt.verify` with `credential_status.StatusLists` as its status step."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.test import Client

from covenant.core import clock
from covenant.passport import credential_status, sdjwt
from covenant.passport.models import Credential, HolderKey

AUDIENCE = "https://verifier.example.org"


def published_trust(client: Client, credential: Credential) -> dict[str, Any]:
    """A trust document for the credential's issuer, from what the node publishes."""
    metadata = client.get(f"/.well-known/jwt-vc-issuer/issuers/{credential.organisation_id}").json()
    return {
        "issuers": [
            {
                "id": metadata["issuer"],
                "keys": metadata["jwks"]["keys"],
                "credential_types": [credential.credential_type.vct],
            }
        ]
    }


def fetch_through(client: Client) -> Any:
    def fetch(url: str) -> str:
        response = client.get(urlsplit(url).path)
        if response.status_code != 200:
            raise OSError(f"{url} answered {response.status_code}")
        assert response["Content-Type"] == credential_status.STATUS_LIST_MEDIA_TYPE
        return response.content.decode("ascii")

    return fetch


def present(credential: Credential, *, nonce: str = "n-1", disclose: Any = "all") -> str:
    holder_key = HolderKey.objects.get(holder=credential.holder, active=True)
    with holder_key.unsealed() as key:
        return sdjwt.present(
            credential.sd_jwt(),
            disclose=disclose,
            holder_key=key,
            aud=AUDIENCE,
            nonce=nonce,
            iat=int(clock.now().timestamp()),
        )


def verify(client: Client, credential: Credential, *, nonce: str = "n-1") -> sdjwt.Verified:
    """Present the credential with its holder's key and verify it as an outsider would."""
    trust = published_trust(client, credential)
    now = clock.now().timestamp()
    status = credential_status.StatusLists(
        fetch=fetch_through(client),
        issuer_key=credential_status.issuer_keys(trust),
        now=now,
    )
    return sdjwt.verify(
        present(credential, nonce=nonce),
        trusted=sdjwt.TrustedIssuers.from_document(trust),
        audience=AUDIENCE,
        nonce=nonce,
        now=now,
        status_check=status,
    )
