"""A local FoxReach-compatible server (see docs/sandbox.md), independent of the importer.

Modules: ``config`` (SandboxConfig), ``payload`` (body parsing and row rules), ``importing``
(import semantics), ``store`` (SQLite), ``ratelimit``, ``faults``, ``state``, ``gateway`` (auth,
limits, faults as ASGI middleware), ``app`` (create_app and routes), ``server`` (run_in_thread,
serve) and ``cli`` (the ``foxreach sandbox`` Typer app). Nothing is imported here, so reading
the config does not load FastAPI or uvicorn.
"""
