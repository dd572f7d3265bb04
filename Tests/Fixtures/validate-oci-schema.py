#!/usr/bin/env python3
"""Validates a JSON document against one of the OCI image-spec schemas (draft-04).

Usage: validate-oci-schema.py SCHEMA_FILE DOCUMENT_FILE
The schemas refer to each other by relative file name (resolved against nested `id`s); every such
reference is served from SCHEMA_FILE's folder. Exit 0 when valid; 1 with the reasons when not.
"""
import json
import os
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


def main() -> int:
    schema_path, document_path = sys.argv[1], sys.argv[2]
    folder = os.path.dirname(os.path.abspath(schema_path))

    def retrieve(uri: str) -> Resource:
        name = uri.split("#")[0].rstrip("/").rsplit("/", 1)[-1]
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            return Resource.from_contents(json.load(handle), default_specification=DRAFT4)

    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    with open(document_path, encoding="utf-8") as handle:
        document = json.load(handle)
    validator = jsonschema.Draft4Validator(schema, registry=Registry(retrieve=retrieve))
    errors = sorted(validator.iter_errors(document), key=lambda error: list(error.absolute_path))
    for error in errors:
        path = "/".join(str(part) for part in error.absolute_path) or "(document)"
        print(f"{document_path}: {path}: {error.message}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
