#!/usr/bin/env bash
# The documentation's references resolve: every relative link of a Markdown
# file names a file that exists, every #anchor a heading of its target (as
# GitHub spells a heading's anchor), and every README section that the
# code, the SQL or the scripts cite by name ("README, \"Billing\"", "the
# README's Secrets section") is a heading of the top-level README.md.  The
# checker is first shown to catch each fault in a planted tree, so that its
# silence on the real one means something.  No database.
source "$(dirname "$0")/lib.bash"
plan 6
root="$(cd "$(dirname "$0")/../.." && pwd)"

# check ROOT WHAT: prints one line per fault of kind WHAT (links, anchors,
# citations) under ROOT; exits 1 when there is one.
check() {
    python3 - "$@" <<'PY'
import os, re, sys

root, what = sys.argv[1], sys.argv[2]
SKIP_DIRS = {'.git', 'node_modules'}
FENCE = re.compile(r'^(```|~~~).*?^\1[^\n]*$', re.M | re.S)
CODE = re.compile(r'`[^`\n]*`')
LINK = re.compile(r'\[[^\]\n]*\]\(([^)\s]+)\)')


def prose(path):
    """The file's text without fenced blocks and inline code."""
    with open(path, encoding='utf-8') as f:
        return CODE.sub('', FENCE.sub('', f.read()))


def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower().replace('`', '')
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def anchors(path):
    seen, out = {}, set()
    for m in re.finditer(r'^#{1,6}[ \t]+(.+?)[ \t#]*$', prose(path), re.M):
        a = slug(m.group(1))
        n = seen.get(a, 0)
        seen[a] = n + 1
        out.add(a if n == 0 else '%s-%d' % (a, n))
    return out


def headings(path):
    return {m.group(1).strip() for m in
            re.finditer(r'^#{1,6}[ \t]+(.+?)[ \t#]*$', prose(path), re.M)}


def walk(exts):
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS]
        for n in names:
            if n.endswith(exts):
                yield os.path.join(d, n)


faults = []
if what in ('links', 'anchors'):
    for md in sorted(walk(('.md',))):
        for m in LINK.finditer(prose(md)):
            target = m.group(1)
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):   # http:, mailto:
                continue
            path, _, anchor = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
            rel = os.path.relpath(md, root)
            if what == 'links':
                if not os.path.exists(dest):
                    faults.append('%s: %s: no such file' % (rel, target))
            elif anchor and os.path.isfile(dest) and dest.endswith('.md'):
                if anchor not in anchors(dest):
                    faults.append('%s: %s: no such heading' % (rel, target))
elif what == 'citations':
    # What cites the top-level README by section: the C sources, the SQL,
    # the scripts (test/mock's comments cite the mock's own README).
    readme = os.path.join(root, 'README.md')
    sections = headings(readme) if os.path.exists(readme) else set()
    forms = [re.compile(r'README,\s+"([^"]+)"'),
             re.compile(r"README's\s+([A-Z][A-Za-z ]*?)\s+section"),
             re.compile(r'\(README,\s+([A-Z][A-Za-z ]*?)\)'),
             re.compile(r'\\?"([A-Z][^"\\]*)\\?"\s+in\s+aigw\'s\s+README')]
    for sub in ('src', 'sql', 'scripts'):
        base = os.path.join(root, sub)
        for d, dirs, names in os.walk(base):
            for n in sorted(names):
                if not n.endswith(('.c', '.h', '.sql', '.py', '.sh')):
                    continue
                p = os.path.join(d, n)
                with open(p, encoding='utf-8', errors='replace') as f:
                    # a citation may run over two comment lines
                    text = re.sub(r'[ \t]*\n[ \t]*(?:--|#|\*|//)?[ \t]*', ' ', f.read())
                for form in forms:
                    for m in form.finditer(text):
                        name = re.sub(r'\s+', ' ', m.group(1)).strip()
                        if name not in sections:
                            faults.append('%s: README section "%s" does not exist'
                                          % (os.path.relpath(p, root), name))
for line in faults:
    print(line)
sys.exit(1 if faults else 0)
PY
}

# A planted tree: a link to a missing file, a link to a missing heading,
# and a comment citing a README section that does not exist.
plant=$(mktemp -d)
trap 'rm -rf "$plant"' EXIT
mkdir -p "$plant/src/billing" "$plant/doc"
printf '# Top\n\n## Billing\n\nSee [the doc](doc/a.md#there) and [gone](doc/missing.md).\n' >"$plant/README.md"
printf '# A\n\n## Here\n\n```sh\n# There\n```\n' >"$plant/doc/a.md"
printf '/* The rule (README, "Billing"); see the README'"'"'s Ledger section. */\n' >"$plant/src/billing/b.c"
out=$(check "$plant" links); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *"doc/missing.md: no such file"* ]] && [[ "$out" != *"a.md"* ]]; echo $?) \
   "a planted link to a missing file is caught (and only it)"
out=$(check "$plant" anchors); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *"doc/a.md#there: no such heading"* ]]; echo $?) \
   "a planted link to a missing heading is caught (a hash line in a code block is no heading)"
out=$(check "$plant" citations); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *'"Ledger" does not exist'* ]] && [[ "$out" != *'"Billing"'* ]]; echo $?) \
   "a planted citation of a missing README section is caught (and only it)"

# The real tree.
out=$(check "$root" links); rc=$?
ok $rc "every relative link of the Markdown files names a file that exists"; [ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'
out=$(check "$root" anchors); rc=$?
ok $rc "every anchor of a link is a heading of its target"; [ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'
out=$(check "$root" citations); rc=$?
ok $rc "every README section the code, SQL and scripts cite exists"; [ $rc -eq 0 ] || echo "$out" | sed 's/^/# /'

finish
