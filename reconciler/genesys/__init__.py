"""The HTTP backend: Genesys Cloud's APIs, or the sandbox emulator, over httpx.

settings.py    environment variables -> Settings (regions, URL overrides, Secret)
auth.py        OAuth client credentials as an httpx.Auth (cached, shared, refresh on 401)
retry.py       which failures repeat (never a POST that may have been applied), backoff
pacing.py      one rate pacer per session, fed by the inin-ratelimit-* headers
transport.py   the wrapper that paces and records every attempt on the wire
responses.py   body checks and error bodies -> typed exceptions
session.py     GenesysSession: one org's auth, retries, pacing and error mapping
paging.py      page-number and cursor listings, bounded
adapters/      one adapter per kind (reconciler.backend.ResourceAdapter) on the shared session
client.py      GenesysBackend (reconciler.backend.Backend): the session plus the adapters
calls.py       record_calls(): the attempts made inside a block, with correlation ids
factory.py     open_backend(settings) and settings_from_cli(global_options)

This module imports nothing, so importing ``reconciler.genesys.settings`` pulls in only what
settings need.
"""
