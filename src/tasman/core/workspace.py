"""A case workspace: a folder with ``tasman.yaml``, outputs, and (by default) an embedded SQLite database.

``TASMAN_DATABASE_URL`` (or an explicit URL) points the same workspace at PostgreSQL for a
multi-user deployment; everything else works the same. Its sessions sign the audit chain's
head as ``tasman.core.anchor`` says, with the workspace's key when it has one (``keys/``).
"""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tasman.core import anchor, audit
from tasman.core.db import check_connection, make_engine, migrate, session_factory, transaction
from tasman.core.errors import AlreadyExistsError, InputError, NotFoundError, reason
from tasman.core.signing import LocalSigner, load_signer

CONFIG_NAME = "tasman.yaml"
SQLITE_NAME = "tasman.db"
ENV_DB = "TASMAN_DATABASE_URL"
ENV_WORKSPACE = "TASMAN_WORKSPACE"
ENV_USER = "TASMAN_USER"


def default_actor() -> str:
    return os.environ.get(ENV_USER) or getpass.getuser()


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds a ``tasman.yaml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


@dataclass
class Workspace:
    root: Path
    db_url: str
    actor: str
    engine: Engine = field(repr=False)
    factory: sessionmaker[Session] = field(repr=False)
    config: dict[str, Any] = field(default_factory=dict)
    _signer: LocalSigner | None = field(default=None, repr=False)

    @staticmethod
    def _resolve_url(root: Path, explicit: str | None, config: dict[str, Any]) -> str:
        return explicit or os.environ.get(ENV_DB) or config.get("database_url") or f"sqlite:///{root / SQLITE_NAME}"

    @classmethod
    def init(cls, root: Path, db_url: str | None = None, actor: str | None = None) -> Workspace:
        """Create a workspace in ``root`` (created if missing) and bring its database to the latest schema."""
        root = root.resolve()
        if (root / CONFIG_NAME).exists():
            raise AlreadyExistsError(f"{root} is already a Tasman workspace ({CONFIG_NAME} exists); nothing changed")
        if root.exists() and not root.is_dir():
            raise InputError(f"{root} exists and is not a folder")
        created = not root.exists()
        try:
            root.mkdir(parents=True, exist_ok=True)
            config: dict[str, Any] = {"version": 1}
            if db_url:
                config["database_url"] = db_url
            ws = cls._connect(root, cls._resolve_url(root, db_url, {}), actor, config)
            migrate(ws.engine, ws.root)
            (root / "out").mkdir(exist_ok=True)
            with ws.session() as s:
                audit.record(s, ws.actor, "workspace.init", target=str(root))
            (root / CONFIG_NAME).write_text(yaml.safe_dump(config, sort_keys=True), encoding="utf-8")
        except BaseException:
            if created:
                shutil.rmtree(root, ignore_errors=True)
            raise
        return ws

    @classmethod
    def open(cls, root: Path | None = None, db_url: str | None = None, actor: str | None = None) -> Workspace:
        """Open the workspace at ``root`` (or found from the current folder / ``TASMAN_WORKSPACE``)."""
        if root is None and os.environ.get(ENV_WORKSPACE):
            root = Path(os.environ[ENV_WORKSPACE])
        if root is None:
            found = find_root(Path.cwd())
        else:
            found = root.resolve() if (root / CONFIG_NAME).is_file() else None
        if found is None:
            where = root or Path.cwd()
            raise NotFoundError(f"no Tasman workspace at {where}: run 'tasman init DIR' first or pass --workspace")
        try:
            config = yaml.safe_load((found / CONFIG_NAME).read_text(encoding="utf-8")) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise InputError(f"cannot read {found / CONFIG_NAME}: {reason(exc)}") from exc
        if not isinstance(config, dict):
            raise InputError(f"{found / CONFIG_NAME} is not a mapping")
        ws = cls._connect(found, cls._resolve_url(found, db_url, config), actor, config)
        migrate(ws.engine, ws.root)
        return ws

    @classmethod
    def _connect(cls, root: Path, url: str, actor: str | None, config: dict[str, Any]) -> Workspace:
        policy = anchor.policy_from(config)
        engine = make_engine(url)
        check_connection(engine)
        ws = cls(root=root, db_url=url, actor=actor or default_actor(), engine=engine,
                 factory=session_factory(engine), config=config)
        anchor.install(ws.factory, ws.signer, policy)
        return ws

    def signer(self) -> LocalSigner | None:
        """The workspace's signing key (read once), or None while it has none."""
        if self._signer is None:
            self._signer = load_signer(self.root)
        return self._signer

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.factory) as s:
            yield s

    def out_dir(self, *parts: str) -> Path:
        path = self.root.joinpath("out", *parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        self.engine.dispose()
