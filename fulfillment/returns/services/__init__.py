"""Return use cases: ``create_return``, ``receive_return``, ``cancel_return``,
``create_exchange``; the return window (``policy``)."""

import fulfillment.returns.merge  # noqa: F401  (registers the "returns" merge step)
from fulfillment.returns.services.create import ReturnLineRequest, cancel_return, create_return
from fulfillment.returns.services.exchange import (
    Exchanged,
    ExchangeReturnLine,
    NewLine,
    create_exchange,
)
from fulfillment.returns.services.policy import set_window, window_days, windows
from fulfillment.returns.services.receive import ReceiveLine, receive_return

__all__ = [
    "ExchangeReturnLine",
    "Exchanged",
    "NewLine",
    "ReceiveLine",
    "ReturnLineRequest",
    "cancel_return",
    "create_exchange",
    "create_return",
    "receive_return",
    "set_window",
    "window_days",
    "windows",
]
