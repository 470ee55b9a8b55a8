"""A secret box around MultiFernet: newest key first; old tokens still open and get re-sealed."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from crm_core.errors import ConfigError, CRMError


class SecretBox:
    def __init__(self, keys: tuple[str, ...] | list[str]) -> None:
        if not keys:
            raise ConfigError(
                "CRM_EMAIL_ENCRYPTION_KEY must be set to store email passwords "
                "(make one with `crm keygen`)"
            )
        self._fernets = [Fernet(k) for k in keys]
        self._multi = MultiFernet(self._fernets)

    def seal(self, secret: str) -> str:
        return self._multi.encrypt(secret.encode()).decode()

    def open(self, token: str) -> tuple[str, bool]:
        """The secret and whether the token was sealed with an older key (re-seal it)."""
        try:
            secret = self._multi.decrypt(token.encode()).decode()
        except InvalidToken:
            raise CRMError(
                "The stored password can't be decrypted with the configured keys."
            ) from None
        try:
            self._fernets[0].decrypt(token.encode())
            stale = False
        except InvalidToken:
            stale = True
        return secret, stale

    def rotate(self, token: str) -> str:
        return self._multi.rotate(token.encode()).decode()


def new_key() -> str:
    return Fernet.generate_key().decode()
