#!/usr/bin/env python3
"""How far each protocol reaches outside its folder, and where the protocol list is written.

For every folder Sources/SpanwatchProtocols/<Protocol>/, collects what names the protocol: the
types it declares, its name as a string ("modbus"), and its name as a member (.modbus). Then
counts the Swift files outside that folder (and outside the registry) whose code (comments
stripped) uses any of them. The target is 0 for every protocol.

Also lists the code lines, anywhere in Sources/, that name three or more protocols: each is a
place where the protocol list is written out. The target is 1 (the registry).

    scripts/protocol-footprint.py          (exit 1 when a target is missed)
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
sources = root / "Sources"
protocols_dir = sources / "SpanwatchProtocols"
registry = protocols_dir / "ProtocolRegistry+Standard.swift"


def code_of(path):
    """The file's code, comments and string-free doc lines removed (string literals kept)."""
    out = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        # A trailing comment (not inside a string literal: good enough for this code base).
        quote = False
        cut = len(line)
        for i, ch in enumerate(line):
            if ch == '"':
                quote = not quote
            elif not quote and line.startswith("//", i):
                cut = i
                break
        out.append(line[:cut])
    return out


def without_strings(line):
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)


def declared_types(folder):
    names = set()
    for path in folder.glob("*.swift"):
        for line in code_of(path):
            # Top-level declarations only (nested `Kind`, `Direction` are not the protocol's names).
            match = re.match(r"(?:public |final |public final )*(?:struct|enum|class|protocol|typealias)\s+([A-Z][A-Za-z0-9_]*)", line)
            if match:
                names.add(match.group(1))
    return names


def protocol_name(folder):
    for path in folder.glob("*Protocol.swift"):
        match = re.search(r'static let name = "([a-z0-9_]+)"', path.read_text())
        if match:
            return match.group(1)
    return None


# Uses that are the contract's own words, not a protocol's machinery (printed, not counted).
ALLOWED = {
    ("Sources/SpanwatchApp/BaselineFile.swift", '"dns"'):
        "the baseline file's `dns:` section: names clients resolved (CONTRACT's external_dns), "
        "filled by any protocol through ProtocolEvent.visitQueriedNames",
}

folders = sorted(p for p in protocols_dir.iterdir() if p.is_dir())
all_files = sorted(sources.rglob("*.swift"))
codes = {path: code_of(path) for path in all_files}
names = {}
failed = False

print("files outside a protocol's folder and the registry that name the protocol (target 0):")
for folder in folders:
    name = protocol_name(folder)
    names[folder.name] = name
    types = declared_types(folder)
    # Types and members are looked for in code outside string literals; the name as a string
    # ("dns") in the literals themselves.
    patterns = [re.compile(r"\b%s\b" % re.escape(t)) for t in sorted(types)]
    literal = re.compile(r'"%s"' % re.escape(name)) if name else None
    if name:
        patterns.append(re.compile(r"\.%s\b" % re.escape(name)))
    users = []
    for path in all_files:
        if folder in path.parents or path == registry:
            continue
        hits = [line for line in codes[path]
                if any(p.search(without_strings(line)) for p in patterns) or (literal and literal.search(line))]
        allowed = [why for (file, token), why in ALLOWED.items() if file == str(path.relative_to(root)) and all(token in h for h in hits)]
        if hits and allowed:
            print(f"  ({folder.name}: {path.relative_to(root)} allowed: {allowed[0]})")
        elif hits:
            users.append((path.relative_to(root), hits[0].strip()))
    print(f"  {folder.name} ({name}): {len(users)}")
    for path, line in users:
        print(f"      {path}: {line[:110]}")
    failed |= bool(users)

print("code lines that write out three or more protocols (target: the registry only):")
known = [n for n in names.values() if n]
places = []
for path in all_files:
    for number, line in enumerate(codes[path], 1):
        lowered = line.lower()
        mentioned = {n for n in known if re.search(r"\b%s\b" % re.escape(n), lowered)}
        type_mentions = {f for f in names if re.search(r"\b%sProtocol\b" % re.escape(f), line)}
        if len(mentioned | type_mentions) >= 3:
            places.append((path.relative_to(root), number, line.strip()))
registry_lines = [p for p in places if p[0] == registry.relative_to(root)]
others = [p for p in places if p[0] != registry.relative_to(root)]
print(f"  the registry: {1 if registry.exists() else 0} list; elsewhere: {len(others)}")
for path, number, line in others:
    print(f"      {path}:{number}: {line[:110]}")
failed |= bool(others)
sys.exit(1 if failed else 0)
