#!/usr/bin/env python3
"""scdoc SCDOC < page.scd > page.N: run scdoc, then keep words whole.

scdoc's own .nh comes before .TH, and groff's man macros hyphenate again
from there: names such as vmtrace-replay(1) and paths broke across lines
as "vm-trace-replay(1)" and could not be copied. So .nh goes after .TH,
and a word holding a '-' (a page, an option, a file name) starts with \%,
which keeps groff from breaking it after that '-' either."""
import re
import subprocess
import sys

WORD_WITH_HYPHEN = re.compile(rb'(?:^|(?<=[ \t]))(?=[^ \t]*-)')

page = subprocess.run([sys.argv[1]], stdin=sys.stdin, capture_output=True)
sys.stderr.buffer.write(page.stderr)
if page.returncode != 0:
    sys.exit(page.returncode)
lines = page.stdout.split(b'\n')
for i, line in enumerate(lines):
    if line.startswith(b'.TH '):
        lines.insert(i + 1, b'.nh')
        break
else:
    sys.exit('scdoc_page.py: no .TH line in scdoc output')
lines = [line if line.startswith((b'.', b"'")) else WORD_WITH_HYPHEN.sub(rb'\\%', line) for line in lines]
sys.stdout.buffer.write(b'\n'.join(lines))
