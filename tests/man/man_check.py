#!/usr/bin/env python3
"""The man pages against the program (issue 17).

  man_check.py render MAN_DIR
      every built page renders with no groff warning (-ww, which is more
      than -w all), and `man -l` shows it
      (MANWIDTH=80, no pager) with the sections a page must have.
  man_check.py options VMTRACE SRC_DIR MAN_DIR
      the commands of `vmtrace --help` are the pages in SRC_DIR/man, and
      for each command the options of `vmtrace CMD --help` (long and short,
      with their argument's name) are those of the OPTIONS section of
      MAN_DIR/vmtrace-CMD.1: one source of truth for option text.

  man_check.py skip REASON
      exit 77 saying why (meson registers this when no page was built).

Exit 0 pass, 1 fail (every mismatch named), 77 skip (groff or man absent).
"""
import os
import re
import shutil
import subprocess
import sys

# Commands `vmtrace --help` lists that have no page of their own: vmtrace(1)
# describes them.
BUILT_IN = {'help', 'version'}
REQUIRED_SECTIONS = {
    1: ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'EXAMPLES', 'SEE ALSO'],
    5: ['NAME', 'DESCRIPTION', 'EXAMPLES', 'SEE ALSO'],
}

failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


def pages_in(man_dir):
    return sorted(f for f in os.listdir(man_dir) if re.fullmatch(r'vmtrace(-[a-z-]+)?\.[15]', f))


def check_render(man_dir):
    for tool in ('groff', 'man'):
        if shutil.which(tool) is None:
            print(f'SKIP: {tool} is not installed')
            sys.exit(77)
    pages = pages_in(man_dir)
    if not pages:
        fail(f'no pages in {man_dir}')
    env = dict(os.environ, MANWIDTH='80', MANPAGER='cat', PAGER='cat', LC_ALL='C.UTF-8')
    for page in pages:
        path = os.path.join(man_dir, page)
        # -ww: every warning; -w all leaves out undefined macros, strings
        # and registers (groff(1)), the mistakes a page is likeliest to have.
        r = subprocess.run(['groff', '-man', '-Tutf8', '-z', '-ww', path],
                           capture_output=True, text=True)
        if r.returncode != 0 or r.stderr:
            fail(f'{page}: groff -ww: status {r.returncode}: {r.stderr.strip()}')
        r = subprocess.run(['man', '-l', path], capture_output=True, text=True, env=env)
        if r.returncode != 0 or r.stderr:
            fail(f'{page}: man -l: status {r.returncode}: {r.stderr.strip()}')
            continue
        text = r.stdout
        long_lines = [line for line in text.splitlines() if len(line) > 80]
        if long_lines:
            fail(f'{page}: {len(long_lines)} lines wider than MANWIDTH=80, first: {long_lines[0]!r}')
        # A word broken across lines (vm-trace-replay(1), a path) cannot
        # be copied: man/scdoc_page.py turns hyphenation off.
        broken = [line for line in text.splitlines() if line.endswith('\u2010')]
        if broken:
            fail(f'{page}: {len(broken)} words hyphenated at a line end, first: {broken[0]!r}')
        # scdoc markup it did not take (*queue*_N_ shows as queue_N_).
        leftover = re.findall(r'[a-z]_[A-Z]+_(?![A-Za-z0-9])|\*[A-Za-z-]+\*', text)
        if leftover:
            fail(f'{page}: scdoc markup shown as text: {", ".join(sorted(set(leftover)))}')
        headings = re.findall(r'^([A-Z][A-Z /]+)$', text, re.M)
        section = int(page.rsplit('.', 1)[1])
        for want in REQUIRED_SECTIONS[section]:
            if want not in headings:
                fail(f'{page}: no {want} section (has {", ".join(headings)})')
        if '@' + 'EXIT_STATUS@' in text or '@' + 'DOCDIR@' in text:
            fail(f'{page}: a placeholder was not substituted')
        # Every page it refers to is one of ours, or not ours to check.
        for ref in re.findall(r'\b(vmtrace(?:-[a-z-]+)?)\((\d)\)', text):
            if f'{ref[0]}.{ref[1]}' not in pages:
                fail(f'{page}: refers to {ref[0]}({ref[1]}), which is not a page')
        print(f'ok: {page} renders ({len(text.splitlines())} lines)')


# An option line of --help: two to six spaces, then "-x, --long", "-x" or
# "--long", then the argument's name if one follows (a word in capitals:
# FILE, BASE[+SIZE], COLSxROWS, A_BASE=B_BASE), then the description.
HELP_OPTION = re.compile(r'^ {2,6}(-[A-Za-z0-9](?=[, ]|$)|--[a-z0-9][a-z0-9-]*)(?:, (--[a-z0-9][a-z0-9-]*))?(.*)$')


def argument_name(rest):
    """The argument's name at the start of rest (after the option), or ''."""
    m = re.match(r' (\S+)', rest)
    if m and re.search(r'[A-Z]', m.group(1)) and not re.search(r'[a-z]{2}', m.group(1)):
        return m.group(1)
    return ''


def help_options(text):
    """{option: argument name} from a command's --help: the block of lines
    from the first option line to the next blank line (examples further
    down may also start with an option)."""
    found = {}
    for line in text.splitlines():
        if found and not line.strip():
            break
        m = HELP_OPTION.match(line)
        if not m:
            continue
        arg = argument_name(m.group(3))
        for name in (m.group(1), m.group(2)):
            if name:
                found[name] = arg
    return found


def roff_text(line):
    line = re.sub(r'\\f[BIRP]', '', line)
    return line.replace('\\&', '').replace('\\%', '').replace('\\-', '-').replace('\\\\', '\\')


def man_options(roff):
    """{option: argument name} from the OPTIONS section of a page's roff:
    the terms at the section's own level (not those nested in a
    description, such as record's workload keys)."""
    found = {}
    in_options = False
    depth = 0
    for line in roff.splitlines():
        if line.startswith('.SH'):
            in_options = line.split(None, 1)[1].strip('"') == 'OPTIONS' if len(line.split()) > 1 else False
            depth = 0
            continue
        if not in_options:
            continue
        if line.startswith('.RS'):
            depth += 1
        elif line.startswith('.RE'):
            depth = max(0, depth - 1)
        elif depth == 0 and not line.startswith('.') and line.strip():
            term = roff_text(line).strip()
            m = re.fullmatch(r'((?:-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)(?:, (?:-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*))*)(?: (\S+))?', term)
            if not m:
                found.setdefault('?', []).append(term)
                continue
            for name in m.group(1).split(', '):
                found[name] = m.group(2) or ''
    return found


def run(vmtrace, *args):
    r = subprocess.run([vmtrace, *args], capture_output=True, text=True)
    return r.returncode, r.stdout


def check_options(vmtrace, src_dir, man_dir):
    status, text = run(vmtrace, '--help')
    if status != 0:
        fail(f'vmtrace --help exited {status}')
        return
    block = text.split('\ncommands:\n', 1)[1].split('\n\n', 1)[0] if '\ncommands:\n' in text else ''
    listed = {m.group(1) for m in re.finditer(r'^  ([a-z]+) ', block, re.M)}
    if not listed:
        fail('vmtrace --help lists no commands')
    commands = listed - BUILT_IN
    sources = {f[len('vmtrace-'):-len('.1.scd')] for f in os.listdir(os.path.join(src_dir, 'man'))
               if f.startswith('vmtrace-') and f.endswith('.1.scd')}
    for c in sorted(commands - sources):
        fail(f'command {c} is in vmtrace --help but has no page man/vmtrace-{c}.1.scd')
    for c in sorted(sources - commands):
        fail(f'page man/vmtrace-{c}.1.scd is for a command vmtrace --help does not list')

    top = open(os.path.join(man_dir, 'vmtrace.1')).read()
    top_commands = set(re.findall(r'^\\fB([a-z]+)\\fR', top.split('.SH COMMANDS', 1)[-1].split('.SH ', 1)[0], re.M))
    for c in sorted(listed - top_commands):
        fail(f'command {c} is in vmtrace --help but not in vmtrace(1) COMMANDS')
    for c in sorted(top_commands - listed):
        fail(f'vmtrace(1) COMMANDS has {c}, which vmtrace --help does not list')

    for c in sorted(commands & sources):
        status, text = run(vmtrace, c, '--help')
        if status != 0:
            fail(f'vmtrace {c} --help exited {status}')
            continue
        if 'Not available in this build' in text:
            print(f'ok: {c}: not in this build, its options not compared')
            continue
        in_help = help_options(text)
        page = os.path.join(man_dir, f'vmtrace-{c}.1')
        in_man = man_options(open(page).read())
        for term in in_man.pop('?', []):
            fail(f'vmtrace-{c}(1) OPTIONS: {term!r} is not an option')
        for opt in sorted(set(in_help) - set(in_man)):
            fail(f'vmtrace {c}: option {opt} is in --help but missing from vmtrace-{c}(1) OPTIONS')
        for opt in sorted(set(in_man) - set(in_help)):
            fail(f'vmtrace {c}: option {opt} is in vmtrace-{c}(1) OPTIONS but missing from --help')
        for opt in sorted(set(in_help) & set(in_man)):
            if in_help[opt] != in_man[opt]:
                fail(f'vmtrace {c}: option {opt} takes {in_help[opt] or "no argument"!r} in --help, '
                     f'{in_man[opt] or "no argument"!r} in vmtrace-{c}(1)')
        if not in_help:
            fail(f'vmtrace {c} --help: no options found (has its layout changed?)')
        print(f'ok: {c}: {len(in_help)} options compared')


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'render':
        check_render(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == 'options':
        check_options(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == 'skip':
        print('SKIP: ' + sys.argv[2])
        return 77
    else:
        print(__doc__, file=sys.stderr)
        return 2
    if failures:
        print(f'{len(failures)} failure(s)')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
