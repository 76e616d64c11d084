"""Sign-in throttling that slows guessing down without handing anyone a lock-out.

Failed sign-ins count against budgets kept in the limiter's shared storage (Redis with
REDIS_URL, else the database: app/limit_store.py):
- per account (the login name, known or not: the answer never tells which accounts
  exist), for devices that never signed in to it;
- per device that did sign in to it before: a successful sign-in returns a
  `device_token` (bound to that login name, signed with the server's key) that the app
  sends with its next sign-ins, and such a device spends its own budget, so someone
  guessing the password elsewhere does not shut the owner's phone out;
- per address, sized for carrier-grade NAT (thousands of phones behind one address):
  only failures count, so a commune signing in correctly never fills it, and a device
  that signed in before does not spend it.
A spent budget is a delay (429 with Retry-After until its window ends), never a lock, and
it is checked before the password is: the correct password waits like any other.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time

from flask import current_app, g
from flask_limiter.util import get_remote_address
from limits import parse_many

from app.errors import TooManyRequests
from app.limits import DEFAULTS, RETRY_AFTER, limiter
from app.services.accounts import login_key


def _setting(name: str) -> str:
    return str(current_app.config.get(name, DEFAULTS[name]))


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _sign(device_id: str, key: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"device.{device_id}.{key}".encode(), hashlib.sha256).hexdigest()[:32]


class Guard:
    """The budgets one sign-in attempt spends from."""

    def __init__(self, login: str, device_token: str | None) -> None:
        self.key = login_key(login)
        self.device = self._known_device(device_token)
        if self.device is not None:
            # A device that signed in to this account before spends only its own budget.
            self.budgets = [("LOGIN_FAILURES_DEVICE", f"login-fail/device/{self.device}")]
        else:
            self.budgets = [
                ("LOGIN_FAILURES_ACCOUNT", f"login-fail/account/{_digest(self.key)}"),
                ("LOGIN_FAILURES_IP", f"login-fail/ip/{get_remote_address()}")]

    def _known_device(self, token: str | None) -> str | None:
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 100:
            return None
        device_id, signature = token.split(".")
        return device_id if hmac.compare_digest(signature, _sign(device_id, self.key)) else None

    def check(self) -> None:
        """429 with Retry-After while a budget this attempt would spend is used up."""
        wait = 0.0
        for setting, key in self.budgets:
            for item in parse_many(_setting(setting)):
                if not limiter.limiter.test(item, key):
                    reset = limiter.limiter.get_window_stats(item, key).reset_time
                    wait = max(wait, reset - time.time())
        if wait > 0:
            g.setdefault(RETRY_AFTER, math.ceil(wait))
            raise TooManyRequests("Too many failed sign-ins. Try again later.",
                                  retry_after=math.ceil(wait))

    def failed(self) -> None:
        for setting, key in self.budgets:
            for item in parse_many(_setting(setting)):
                limiter.limiter.hit(item, key)

    def device_token(self) -> str:
        """The token this device sends with its next sign-ins to this account."""
        device_id = self.device or secrets.token_hex(8)
        return f"{device_id}.{_sign(device_id, self.key)}"
