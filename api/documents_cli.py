"""`omnicommerce documents-register FILE...`: register a client build's trusted documents.

A ``.graphql`` file is one document (named after its first operation, else the file); a
``.json`` file is a manifest: Apollo's persisted-query manifest
(``{"operations": [{"body": ..., "name": ...}]}``), or GraphQL Codegen's / Relay's
(``{"<hash>": "<text>"}``, whose keys must be the SHA-256 of the text).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from domain.access.documents import NewDocument, document_hash


class ManifestError(Exception):
    pass


def read_documents(paths: list[str]) -> list[NewDocument]:
    documents: list[NewDocument] = []
    for name in paths:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{name}: cannot read it as UTF-8 text ({exc}).") from exc
        if path.suffix.lower() == ".json":
            documents.extend(_manifest(name, text))
        else:
            documents.append(NewDocument(body=text, name=_first_operation(text) or path.stem))
    return documents


def _manifest(name: str, text: str) -> list[NewDocument]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{name}: not valid JSON ({exc}).") from exc
    if isinstance(data, dict) and isinstance(data.get("operations"), list):
        out = []
        for i, op in enumerate(data["operations"]):
            if not isinstance(op, dict) or not isinstance(op.get("body"), str):
                raise ManifestError(f"{name}: operations[{i}] needs a string `body`.")
            out.append(NewDocument(body=op["body"], name=str(op.get("name") or f"operation {i}")))
        return out
    if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()):
        out = []
        for key, body in data.items():
            sha = key.removeprefix("sha256:")
            if sha != document_hash(body):
                raise ManifestError(
                    f"{name}: the key {key!r} is not the SHA-256 of its document; regenerate "
                    "the manifest with SHA-256 hashes."
                )
            out.append(NewDocument(body=body, name=_first_operation(body) or sha[:12]))
        return out
    raise ManifestError(
        f'{name}: expected {{"operations": [{{"body", "name"}}]}} (Apollo) or '
        '{"<sha256>": "<document>"} (GraphQL Codegen, Relay).'
    )


def _first_operation(body: str) -> str | None:
    for word in ("query", "mutation", "subscription"):
        for line in body.splitlines():
            stripped = line.strip()
            if stripped.startswith(word + " "):
                rest = stripped[len(word) + 1 :].lstrip()
                name = rest.split("(")[0].split("{")[0].split("@")[0].strip()
                if name:
                    return name[:200]
    return None


def cmd_documents_register(args: argparse.Namespace) -> int:
    from api.cli import _migrate, _run_domain, _with_runtime, database
    from api.schema import build_schema
    from api.trusted_documents import problem_check
    from domain.access.documents import register_documents
    from domain.shared.settings import get_settings

    try:
        documents = read_documents(args.files)
    except ManifestError as exc:
        print(exc)
        return 1
    settings = get_settings()
    check = problem_check(build_schema(settings)._schema, settings)
    with database(settings) as url:
        _migrate(url)

        async def body(runtime: Any) -> list[str]:
            return await register_documents(
                runtime.uow(), documents=documents, actor="cli", check=check
            )

        ids = _run_domain(lambda: _with_runtime(settings, url, body))
    if ids is None:
        return 1
    for doc, doc_id in zip(documents, ids, strict=True):
        print(f"{doc_id}  {doc.name}")
    return 0


def add_commands(sub: Any) -> None:
    register = sub.add_parser(
        "documents-register",
        help="register trusted documents (.graphql files, or Apollo / Codegen JSON manifests)",
    )
    register.add_argument("files", nargs="+", help=".graphql documents or .json manifests")
    register.set_defaults(func=cmd_documents_register)
