"""`omnicommerce documents-register` reads .graphql files and Apollo / Codegen manifests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from api.documents_cli import ManifestError, read_documents
from domain.access.documents import NewDocument

VIEWER = "query Viewer {\n  viewer { role }\n}\n"


def test_a_graphql_file_is_one_document_named_after_its_operation(tmp_path: Path):
    path = tmp_path / "viewer.graphql"
    path.write_text(VIEWER)
    anonymous = tmp_path / "plain.graphql"
    anonymous.write_text("{ viewer { role } }")
    assert read_documents([str(path), str(anonymous)]) == [
        NewDocument(body=VIEWER, name="Viewer"),
        NewDocument(body="{ viewer { role } }", name="plain"),
    ]


def test_an_apollo_manifest_and_a_codegen_manifest_are_read(tmp_path: Path):
    apollo = tmp_path / "persisted-query-manifest.json"
    apollo.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "x", "name": "Viewer", "type": "query", "body": VIEWER}],
            }
        )
    )
    codegen = tmp_path / "persisted-documents.json"
    sha = hashlib.sha256(VIEWER.encode()).hexdigest()
    codegen.write_text(json.dumps({f"sha256:{sha}": VIEWER}))
    assert read_documents([str(apollo), str(codegen)]) == [
        NewDocument(body=VIEWER, name="Viewer"),
        NewDocument(body=VIEWER, name="Viewer"),
    ]


def test_a_codegen_manifest_whose_keys_are_not_sha256_is_refused(tmp_path: Path):
    codegen = tmp_path / "persisted-documents.json"
    codegen.write_text(json.dumps({"abc123": VIEWER}))
    with pytest.raises(ManifestError) as exc:
        read_documents([str(codegen)])
    assert str(exc.value) == (
        f"{codegen}: the key 'abc123' is not the SHA-256 of its document; regenerate the "
        "manifest with SHA-256 hashes."
    )
