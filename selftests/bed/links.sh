#!/usr/bin/env bash
# links.sh [TAP-FILE]: the README's and docs/'s own references still work.
# Per Markdown file (README.md, docs/*.md): every relative link resolves to
# a file of the tree and, with a #fragment, to a heading of that file
# (GitHub's anchors); every `make TARGET` it names in code (fenced, indented
# or inline) is a target of the top Makefile, or of DIR/Makefile for
# `make -C DIR`.  Prints TAP (also into TAP-FILE, default out/links.tap),
# "# end of suite: links" and one summary line; exits non-zero on a
# failure.  Needs python3 and make; takes seconds.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
results_begin "${1:-$ZP_OUT/links.tap}" "links: "

# One line per check: "0|name" or "1|name|what is wrong".
verdicts() {
	python3 - "$ZP_TOP" README.md docs/*.md <<'EOF'
import os, re, subprocess, sys
top, files = sys.argv[1], [f for f in sys.argv[2:] if os.path.isfile(os.path.join(sys.argv[1], f))]
HEADING = re.compile(r'^#{1,6}\s+(.*?)\s*#*\s*$')

def split(text):
    """(code, prose) of a Markdown text: fenced blocks, indented blocks and
    inline code spans (which may wrap a line) are code."""
    code, rest, fence, prev, in_block = [], [], None, '', False
    for line in text.split('\n'):
        m = re.match(r'^\s*(`{3,}|~{3,})', line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            else:
                code.append(line)
        elif m:
            fence = m.group(1)
        elif re.match(r'^( {4}|\t)', line) and (in_block or not prev.strip()):
            code.append(line)
            in_block = True
        else:
            in_block = False
            rest.append(line)
        prev = line
    para, prose, pos = '\n'.join(rest), [], 0
    for m in re.finditer(r'(`+)(.+?)\1', para, re.S):
        prose.append(para[pos:m.start()])
        code.append(m.group(2).replace('\n', ' '))
        pos = m.end()
    prose.append(para[pos:])
    return '\n'.join(code), ''.join(prose)

def anchors(path):
    """GitHub's heading anchors: lower case, all but letters, digits, '_',
    '-' and spaces dropped, spaces to '-', repeats numbered -1, -2, ..."""
    seen, out = {}, set()
    text = open(path, encoding='utf-8').read()
    fence = None
    for line in text.split('\n'):
        m = re.match(r'^\s*(`{3,}|~{3,})', line)
        if m and (not fence or m.group(1)[0] == fence[0]):
            fence = None if fence else m.group(1)
            continue
        h = None if fence else HEADING.match(line)
        if not h:
            continue
        s = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', h.group(1)).lower()
        s = re.sub(r'[^\w\- ]', '', s).replace(' ', '-')
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else '%s-%d' % (s, n))
    return out

def targets(d, cache={}):
    """The explicit targets of d/Makefile, from make's database (-q: no
    recipe runs)."""
    if d not in cache:
        db = subprocess.run(['make', '-C', d, '-pRrq', ':'], capture_output=True, text=True,
                            env=dict(os.environ, LC_ALL='C')).stdout.split('\n')
        cache[d] = {l.split(':')[0] for i, l in enumerate(db)
                    if re.match(r'^[A-Za-z0-9][^$#/\t=:%]*:([^=]|$)', l)
                    and not (i and db[i - 1].startswith('# Not a target'))}
    return cache[d]

def links(path, prose):
    here, bad, n = os.path.dirname(os.path.join(top, path)), [], 0
    refs = re.findall(r'\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)', prose)
    refs += re.findall(r'^\s*\[[^\]]+\]:\s*<?([^\s>]+)', prose, re.M)
    for ref in refs:
        if re.match(r'^[a-z][a-z0-9+.-]*:', ref, re.I):
            continue    # http:, mailto: ...: not the tree's
        n += 1
        name, _, frag = ref.partition('#')
        f = os.path.normpath(os.path.join(here, name)) if name else os.path.join(top, path)
        if not os.path.realpath(f).startswith(os.path.realpath(top) + os.sep):
            bad.append(ref + ': outside the tree')
        elif not os.path.exists(f):
            bad.append(ref + ': no such file')
        elif frag and not (f.endswith('.md') and frag.lower() in anchors(f)):
            bad.append(ref + ': no such heading')
    return n, bad

def makes(code):
    bad, n = [], 0
    for m in re.finditer(r'(?:^|[\s;&|(])make((?:[ \t]+[^\s;&|#)]+)*)', code, re.M):
        words, d, i = m.group(1).split(), '.', 0
        while i < len(words):
            w = words[i]
            i += 1
            if w == '-C' and i < len(words):
                d = words[i]
                i += 1
            elif not w.startswith('-') and '=' not in w:
                n += 1
                mk = os.path.join(top, d, 'Makefile')
                where = 'make ' + ('' if d == '.' else '-C %s ' % d) + w
                if not os.path.isfile(mk):
                    bad.append(where + ': no ' + os.path.relpath(mk, top))
                elif w not in targets(os.path.join(top, d)):
                    bad.append(where + ': no such target in ' + os.path.relpath(mk, top))
    return n, bad

for path in files:
    code, prose = split(open(os.path.join(top, path), encoding='utf-8').read())
    for what, (n, bad) in (('its %d relative links resolve', links(path, prose)),
                           ('the %d make targets it names exist', makes(code))):
        bad = list(dict.fromkeys(bad))
        print('%d|%s: %s%s' % (bool(bad), path, what % n, '|' + '; '.join(bad) if bad else ''))
EOF
}

out=$(verdicts)
rc=$?
while IFS='|' read -r status name detail; do
	[ -n "$name" ] && tap "$name" "$status" "$detail"
done <<<"$out"
tap "the check itself ran" "$rc" "python3 exited $rc"
echo "# end of suite: links" | tee -a "$results"
summary
