"""Time is injected into services: a ``Clock`` returns the current aware datetime."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
