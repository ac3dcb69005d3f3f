"""Access-token verification and the CurrentUser / role dependencies.

Every service verifies the gateway's access tokens itself with the public key, so a request that
bypasses the gateway gets no further than one that goes through it. Only the configured
asymmetric algorithms are accepted, which also refuses ``alg: none`` and HMAC tokens forged with
the public key as a secret.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from servicekit.errors import ProblemError
from servicekit.settings import LOCAL_STATE_DIR, BaseServiceSettings

ROLES = frozenset(
    {"resident", "courier", "property_staff", "property_manager", "committee", "mediator", "admin"}
)
STAFF_ROLES = frozenset({"property_staff", "property_manager"})
REQUIRED_CLAIMS = ("sub", "community_id", "roles", "exp", "iat", "jti")


@dataclass(frozen=True, slots=True)
class CurrentUser:
    id: uuid.UUID
    community_id: uuid.UUID
    roles: frozenset[str]
    household_id: uuid.UUID | None
    building: str | None
    token_id: str

    def has_any(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


class TokenVerifier:
    def __init__(
        self,
        public_key_pem: str,
        *,
        issuer: str,
        audience: str,
        algorithms: tuple[str, ...] = ("EdDSA",),
        leeway_seconds: int = 10,
    ) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem.encode())
        self._issuer = issuer
        self._audience = audience
        self._algorithms = list(algorithms)
        self._leeway = leeway_seconds

    def verify(self, token: str) -> CurrentUser:
        try:
            claims = jwt.decode(
                token,
                self._key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": [*REQUIRED_CLAIMS, "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ProblemError("token_expired", 401, headers=_challenge("invalid_token")) from exc
        except jwt.PyJWTError as exc:
            raise ProblemError("token_invalid", 401, headers=_challenge("invalid_token")) from exc
        return _user_from_claims(claims)


def _user_from_claims(claims: dict[str, Any]) -> CurrentUser:
    try:
        roles = claims["roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLES for r in roles):
            raise ValueError("roles")
        household = claims.get("household_id")
        building = claims.get("building")
        return CurrentUser(
            id=uuid.UUID(str(claims["sub"])),
            community_id=uuid.UUID(str(claims["community_id"])),
            roles=frozenset(roles),
            household_id=uuid.UUID(str(household)) if household else None,
            building=str(building) if building is not None else None,
            token_id=str(claims["jti"]),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise ProblemError("token_invalid", 401, headers=_challenge("invalid_token")) from exc


def _challenge(error: str | None = None) -> dict[str, str]:
    value = 'Bearer realm="weilinli"'
    if error:
        value += f', error="{error}"'
    return {"WWW-Authenticate": value}


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError("token_invalid", 401, headers=_challenge("invalid_request"))
    return token.strip()


# Declares the Bearer (JWT) scheme in OpenAPI for every operation that reads the token (the
# Authorize button in /docs). It never answers itself (auto_error=False): bearer_token() parses the
# header and the problems stay ours.
BEARER = HTTPBearer(
    scheme_name="bearerAuth",
    bearerFormat="JWT",
    description="The access token from POST /api/v1/auth/login (or /auth/refresh).",
    auto_error=False,
)
_BearerDeclared = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


async def current_user(request: Request, _declared: _BearerDeclared = None) -> CurrentUser:
    token = bearer_token(request)
    if token is None:
        raise ProblemError("unauthorized", 401, headers=_challenge())
    user = _verifier(request).verify(token)
    request.state.user = user
    return user


async def optional_user(request: Request, _declared: _BearerDeclared = None) -> CurrentUser | None:
    token = bearer_token(request)
    return None if token is None else _verifier(request).verify(token)


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, CurrentUser]]:
    """A dependency admitting users who hold at least one of ``roles`` (403 otherwise)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def dependency(user: Annotated[CurrentUser, Depends(current_user)]) -> CurrentUser:
        if not user.has_any(*roles):
            raise ProblemError("forbidden", 403)
        return user

    return dependency


User = Annotated[CurrentUser, Depends(current_user)]


# -- keys ---------------------------------------------------------------------------------------
def load_public_key(settings: BaseServiceSettings) -> str:
    """The gateway's public key from settings; in development a local key pair is made on demand."""
    if settings.jwt_public_key:
        return settings.jwt_public_key
    if settings.jwt_public_key_file is not None:
        return Path(settings.jwt_public_key_file).read_text()
    if settings.environment != "development":
        raise RuntimeError("jwt_public_key or jwt_public_key_file must be set outside development")
    _, public_path = ensure_dev_keypair(LOCAL_STATE_DIR / "keys")
    return public_path.read_text()


def ensure_dev_keypair(directory: Path) -> tuple[Path, Path]:
    """An Ed25519 key pair for development, made once per checkout (never committed)."""
    private_path = directory / "jwt_ed25519.pem"
    public_path = directory / "jwt_ed25519.pub.pem"
    if private_path.exists() and public_path.exists():
        return private_path, public_path
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Written to temporary names and renamed, so a concurrent first run never reads half a key;
    # the public key lands last, so its presence means the pair is complete.
    _write_atomically(private_path, private_pem, mode=0o600)
    _write_atomically(public_path, public_pem, mode=0o644)
    return private_path, public_path


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    tmp.chmod(mode)
    tmp.replace(path)
