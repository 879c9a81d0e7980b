#!/usr/bin/env python3
"""Cut OpenAI's published OpenAPI description down to POST /chat/completions.

    scripts/trim_openapi.py [SOURCE.json [OUT.json]]

Keeps openapi, info, servers and security (with the security schemes that
security names), the operation POST /chat/completions without its
documentation-only x-oaiMeta (code samples), the "Chat" tag, and every
component that operation references, transitively through all $refs.
Everything else (other paths, webhooks, unreferenced components, the
top-level x-oaiMeta) is dropped.  The output is what test/t/openai_contract.sh
gives to a validating mock (Prism).  Python 3.11 standard library only.
"""
import json
import os
import sys

SOURCE = "/work/shared/data/openai-openapi/openapi.json"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                   "test", "data", "openai-openapi", "chat-completions.json")
PATH, METHOD = "/chat/completions", "post"


def unescape(token):
    return token.replace("~1", "/").replace("~0", "~")


def resolve(doc, ref):
    if not ref.startswith("#/"):
        sys.exit(f"trim_openapi: external $ref not supported: {ref}")
    node = doc
    for token in ref[2:].split("/"):
        node = node[unescape(token)]
    return node


def refs_in(node):
    """Yield every $ref string in a JSON value."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, dict):
            r = n.get("$ref")
            if isinstance(r, str):
                yield r
            stack.extend(n.values())
        elif isinstance(n, list):
            stack.extend(n)


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    out = sys.argv[2] if len(sys.argv) > 2 else OUT
    try:
        with open(source, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        sys.exit(f"trim_openapi: {source} not found\n"
                 "usage: scripts/trim_openapi.py OPENAPI.json [OUT.json]")

    op = dict(doc["paths"][PATH][METHOD])
    op.pop("x-oaiMeta", None)

    # Transitive closure of the $refs reachable from the operation.
    seen = set()
    todo = list(refs_in(op))
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        todo.extend(refs_in(resolve(doc, ref)))

    components = {}
    for ref in seen:
        parts = [unescape(t) for t in ref[2:].split("/")]
        if len(parts) != 3 or parts[0] != "components":
            sys.exit(f"trim_openapi: $ref outside components/<kind>/<name>: {ref}")
        components.setdefault(parts[1], set()).add(parts[2])

    security = doc.get("security", [])
    schemes = {name for req in security + op.get("security", []) for name in req}
    if schemes:
        components.setdefault("securitySchemes", set()).update(schemes)

    # Keep the source's order of kinds and of names within a kind.
    trimmed_components = {}
    for kind, entries in doc["components"].items():
        if kind in components:
            trimmed_components[kind] = {n: v for n, v in entries.items() if n in components[kind]}
            missing = components[kind] - trimmed_components[kind].keys()
            if missing:
                sys.exit(f"trim_openapi: unresolved components/{kind}: {sorted(missing)}")

    tags = [t for t in doc.get("tags", []) if t.get("name") in op.get("tags", [])]
    trimmed = {"openapi": doc["openapi"], "info": doc["info"], "servers": doc["servers"]}
    if security:
        trimmed["security"] = security
    if tags:
        trimmed["tags"] = tags
    trimmed["paths"] = {PATH: {METHOD: op}}
    trimmed["components"] = trimmed_components

    with open(out, "w", encoding="utf-8") as f:
        json.dump(trimmed, f, indent=1, ensure_ascii=False)
        f.write("\n")
    n = sum(len(v) for v in trimmed_components.values())
    print(f"{os.path.relpath(out)}: {PATH} {METHOD.upper()} and {n} components "
          f"({', '.join(f'{k} {len(v)}' for k, v in trimmed_components.items())})")


if __name__ == "__main__":
    main()
