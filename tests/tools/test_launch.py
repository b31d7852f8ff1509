"""tools.launch.launched_server: a bundled server in a child process, its URL, and a clear failure."""

from __future__ import annotations

import re

import pytest

from tools.launch import launched_server


def test_a_launched_server_announces_a_loopback_url_and_is_stopped() -> None:
    with launched_server("clock", "ws") as url:
        assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/?", url)


def test_a_server_that_exits_before_serving_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match=r"files over http announced no URL within 20 s; it exited with code 2"):
        with launched_server("files", "http", timeout_secs=20):  # the files server needs --root
            pass
