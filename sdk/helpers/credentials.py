"""HTTP Basic credentials as UTF-8, whatever the script of the user's name or password.

The generated ``Configuration`` encodes ``username:password`` as Latin-1 before base64
(``urllib3.util.make_headers``): a JID such as ``дмитрий@example.com`` raises
``UnicodeEncodeError`` and ``jürgen@example.com`` is sent as bytes the server does not
read as the name (RFC 7617's ``charset="UTF-8"``, which the server announces, means
UTF-8). This module is hand-written and copied into the generated package by
``make sdk``; the package exports its :class:`Configuration` in place of the generated
one, so ``from <package> import Configuration`` gets it::

    from meerkat_client import ApiClient, Configuration

    config = Configuration(host="https://chat.example.com/api",
                           username="дмитрий@example.com", password="пароль")

Everything else (host, server variables, bearer ``access_token``, TLS settings) is the
generated class's.
"""

from __future__ import annotations

import base64
from typing import Optional

from .configuration import Configuration as GeneratedConfiguration

__all__ = ["Configuration", "basic_authorization"]


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` header value for ``username`` and ``password``, as UTF-8."""
    pair = f"{username}:{password}".encode("utf-8")
    return "Basic " + base64.b64encode(pair).decode("ascii")


class Configuration(GeneratedConfiguration):
    """The generated configuration, with Basic credentials encoded as UTF-8."""

    def get_basic_auth_token(self) -> Optional[str]:
        return basic_authorization(self.username or "", self.password or "")
