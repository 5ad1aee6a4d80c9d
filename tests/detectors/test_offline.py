"""No network, ever: detection (e-mail suffix checks included) works with sockets disabled."""

from __future__ import annotations

import socket

import pytest

from detectors import Detector
from detectors.offline import make_tldextract_offline
from tests.detectors.assertions import values_of


def refuse(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("detection tried to open a network connection")


def test_when_network_is_refused_then_emails_and_urls_are_still_checked(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    text = "mail me at someone@example.co.uk or x@bad.notarealtld"
    assert values_of(detector.detect(text), text, "EMAIL_ADDRESS") == ["someone@example.co.uk"]


def test_when_presidio_email_recognizer_runs_then_it_uses_the_bundled_suffix_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    make_tldextract_offline()
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    results = EmailRecognizer().analyze("write to someone@example.com", ["EMAIL_ADDRESS"])
    assert [r.score for r in results] == [1.0]
