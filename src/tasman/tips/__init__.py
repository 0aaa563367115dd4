"""Public tips as a stage of their own: intake (``intake``: received, hashed, matched on arrival,
files kept encrypted, queued for analysts, importable into a case as ``tips`` records), matching
against the hash lists (``match``), the hashes of an upload (``hashing``), the encrypted store
of files and contacts (``vault``) and their tables (``models``). The web app's ``/report`` and
the ``tasman tip`` commands are thin callers.
"""
