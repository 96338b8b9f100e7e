"""The WeChat Official Account front end (issue #16): workers reach the assistant from the
union's 公众号, beside the Telegram front end and through the same Rasa server.

* :mod:`wechat.server` — the callback endpoint (signature, 安全模式, the 5-second rule);
* :mod:`wechat.inbound` — what a message is; :mod:`wechat.render` — Rasa's replies as
  WeChat texts (numbered options, sentence splits);
* :mod:`wechat.service` — a turn, the hand-off through the shared store, delivering
  operator replies and notifications in the 48-hour window;
* :mod:`wechat.api` — wechatpy's API client with the shared access token;
* :mod:`wechat.store` — the ``wx_*`` tables beside the hand-off store.

Sender ids are ``wx-<openid>``. Importing it has no side effects.
"""
