"""Helpers shared by the test levels (unit, integration, e2e): fakes, events, servers, the real stack."""
