"""infra/rie.py builds an emulator command bound to loopback only (its defaults listen on all interfaces)."""

from __future__ import annotations

from infra.rie import HANDLER, RIE, rie_binary


def test_rie_binary_ships_with_sam_cli():
    path = rie_binary()
    assert path.name == "aws-lambda-rie-x86_64" and path.stat().st_size > 1_000_000


def test_both_addresses_are_loopback():
    rie = RIE(port=18089, api_port=19011)
    cmd = rie.command()
    i = cmd.index("--runtime-interface-emulator-address")
    j = cmd.index("--runtime-api-address")
    assert cmd[i + 1] == "127.0.0.1:18089" and cmd[j + 1] == "127.0.0.1:19011"
    assert cmd[-3:] == ["-m", "awslambdaric", HANDLER] and HANDLER == "sambert_lambda.handler.handler"
    assert rie.url == "http://127.0.0.1:18089/2015-03-31/functions/function/invocations"
