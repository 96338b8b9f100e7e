"""The WeChat API client: wechatpy's own ``WeChatClient``, pointed where the settings say,
with one access token shared by every process.

Why not wechatpy as it comes:

* ``WeChatClient.fetch_access_token`` hard-codes ``https://api.weixin.qq.com/cgi-bin/token``;
  :meth:`ApiClient.fetch_access_token` asks ``API_BASE_URL`` instead (a test's fake server,
  or a proxy), which already covers every other call;
* its token lives in the process (``MemoryStorage``, ``expires_at``): a second front-end
  process would fetch its own, and WeChat's newest token retires the others. The token is
  kept in the shared store (:mod:`wechat.store`) and refreshed ``TOKEN_MARGIN`` before it
  expires, by whichever process needs it first;
* its ``auto_retry`` refreshes on 40001/42001 and retries *without limit* (a recursion when
  the new token is refused too): here the token is refreshed once and the call retried once.

The client is synchronous (``requests``); the front end calls it in a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from common.clock import Clock
from common.database import Database
from wechat import store

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The token was refused (40001 invalid credential, 40014 invalid token, 42001 expired).
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
#: The worker is outside the 48-hour window (45015), or sent too few messages for the
#: replies already sent (45047): customer-service messages are refused.
WINDOW_ERRORS = frozenset({45015, 45047})
#: Nobody to send to: the worker unfollowed (43004) or the openid is wrong (40003).
GONE_ERRORS = frozenset({43004, 40003})


class ApiError(RuntimeError):
    """WeChat refused a call, or could not be reached; ``errcode`` None for the latter."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}" if errcode is not None else errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


class ApiClient(WeChatClient):
    """``WeChatClient`` with a configurable token URL and the shared token."""

    def __init__(
        self,
        app_id: str,
        secret: str,
        *,
        db: Database,
        clock: Clock,
        base_url: str,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()

    # -- the token ----------------------------------------------------------------------

    def fetch_access_token(self) -> dict[str, Any]:
        """Fetch a new token from ``API_BASE_URL`` and share it (the one overridden method)."""
        result: dict[str, Any] = self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        expires_in = int(result.get("expires_in") or 7200)
        store.write_token(self._db, self.appid, result["access_token"], self._now() + timedelta(seconds=expires_in))
        return result

    @property
    def access_token(self) -> str:
        """The shared token, fetched first if missing or about to expire."""
        with self._lock:
            current = store.read_token(self._db, self.appid)
            if current is not None and current[1] - store.TOKEN_MARGIN > self._now():
                return current[0]
            return str(self.fetch_access_token()["access_token"])

    def _now(self) -> datetime:
        return self._clock.now()

    def call(self, work: Callable[[], T]) -> T:
        """Run one API call; a refused token is refreshed once and the call retried once.
        Every failure becomes :class:`ApiError`."""
        try:
            try:
                return work()
            except WeChatClientException as exc:
                if exc.errcode not in TOKEN_ERRORS:
                    raise
                log.info("WeChat refused the access token (%s); fetching a new one", exc.errcode)
                refused = store.read_token(self._db, self.appid)
                if refused is not None:
                    store.drop_token(self._db, self.appid, refused[0])
                return work()
        except WeChatClientException as exc:
            raise ApiError(exc.errcode, str(exc.errmsg)) from exc
        except Exception as exc:
            raise ApiError(None, f"{type(exc).__name__}: {exc}") from exc

    # -- what the front end sends ---------------------------------------------------------

    def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (only within 48 h of the worker's last message)."""
        self.call(lambda: self.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, Any]) -> None:
        """A template message (any time, to a follower)."""
        self.call(lambda: self.message.send_template(openid, template_id, data))

    def set_menu(self, menu: dict[str, Any]) -> None:
        """Replace the account's custom menu."""
        self.call(lambda: self.menu.create(menu))
