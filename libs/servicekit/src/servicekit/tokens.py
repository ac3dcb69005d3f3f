"""Signing access tokens: the counterpart of ``auth.TokenVerifier``, kept beside it so the claim
format lives in one place. Only the gateway holds a private key in production; tests and
benchmarks sign with keys of their own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


@dataclass(frozen=True)
class TokenSigner:
    private_key: Ed25519PrivateKey
    issuer: str = "weilinli-gateway"
    audience: str = "weilinli"

    @classmethod
    def from_pem(cls, pem: str | bytes, **kwargs: str) -> TokenSigner:
        key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("access tokens are signed with an Ed25519 key")
        return cls(key, **kwargs)

    @classmethod
    def generate(cls, **kwargs: str) -> TokenSigner:
        return cls(Ed25519PrivateKey.generate(), **kwargs)

    @property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def sign(
        self,
        *,
        user_id: uuid.UUID,
        community_id: uuid.UUID,
        roles: Iterable[str],
        household_id: uuid.UUID | None = None,
        building: str | None = None,
        ttl_seconds: int = 900,
        now: float | None = None,
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "sub": str(user_id),
            "community_id": str(community_id),
            "roles": sorted(set(roles)),
            "household_id": str(household_id) if household_id else None,
            "building": building,
            "iat": issued,
            "exp": issued + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "iss": self.issuer,
            "aud": self.audience,
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA")
