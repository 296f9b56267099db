#!/usr/bin/python3
"""openapi-json.py IN.yaml OUT.json — converts the API description (docs/openapi.yaml,
the source people edit) into the JSON document certmill-fcgi embeds and serves at
GET /v1/openapi.json. Refuses duplicate keys, which YAML loaders otherwise merge
silently. OUT.json is replaced only once complete."""

import json
import os
import sys

import yaml


class StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice."""


def construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: openapi-json.py IN.yaml OUT.json")
    src, out = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=StrictLoader)
    if not isinstance(doc, dict) or "openapi" not in doc:
        sys.exit(f"{src}: not an OpenAPI document")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
