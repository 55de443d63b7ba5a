"""Rigs for the tests (and the load-test tool): real server processes, a headless browser,
network faults, in-process sockets. A plain package, not an app; nothing here serves traffic."""
