"""notify send refuses a real relay while clausewise.toml still holds the example sender or reading URL."""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner

from clausewise.cli import main
from clausewise.config import Config, example_defaults

from .notices import assignment_campaign, customers, setup
from .smtp_server import smtp_server

# A documentation address (RFC 5737): never routed, and never connected to, since the refusal comes first.
REAL_RELAY = "smtp://192.0.2.1:587"


def test_example_defaults_names_each_placeholder_setting():
    config = Config()
    assert example_defaults(config) == [
        "sender 'Legal Team <legal@example.com>'", "reading_url 'https://example.com/legal/{agreement}/v{version}'",
        "redline_url 'https://example.com/legal/{agreement}/v{from_version}-v{to_version}.html'"]
    ours = dataclasses.replace(config, sender="Legal <legal@acme-cloud.cn>",
                               reading_url="https://legal.acme-cloud.cn/{agreement}/v{version}",
                               redline_url="https://legal.acme-cloud.cn/{agreement}/{from_version}-{to_version}")
    assert example_defaults(ours) == []
    assert example_defaults(dataclasses.replace(ours, sender="legal@mail.example.org")) == [
        "sender 'legal@mail.example.org'"]
    assert example_defaults(dataclasses.replace(ours, reading_url="https://notexample.com/x")) == []
    attached = dataclasses.replace(ours, redline_url=config.redline_url, redline_delivery="attach")
    assert example_defaults(attached) == []  # no link to the redline in the notices


def test_send_to_a_real_relay_with_the_example_sender_is_refused_before_connecting(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(2, agreement="service-zh", language="zh-CN"))
    result = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", REAL_RELAY])
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: clausewise.toml: sender 'Legal Team <legal@example.com>' and reading_url "
        "'https://example.com/legal/{agreement}/v{version}' and redline_url "
        "'https://example.com/legal/{agreement}/v{from_version}-v{to_version}.html' are still the example values, and smtp://192.0.2.1:587 "
        "is a real mail relay: customers would get notices from or linking to example.com. Set them to your own "
        "in clausewise.toml, commit it, and send again (a server on 127.0.0.1 accepts the examples, for trying "
        "things out)\n")
    assert all(row.status == "pending" for row in repo_store.notices(None))
    dry = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", REAL_RELAY, "--dry-run"])
    assert dry.exit_code == 0, dry.output  # a dry run sends nothing, so it may render with the examples


def test_loopback_relay_accepts_the_examples(legal_repo, repo_store):
    setup(repo_store, assignment_campaign(), rows=customers(2, agreement="service-zh", language="zh-CN"))
    with smtp_server() as (url, handler):
        result = CliRunner().invoke(main, ["notify", "send", "--repo", str(legal_repo.root), "--smtp", url])
    assert result.exit_code == 0, result.output
    assert len(handler.received) == 2
