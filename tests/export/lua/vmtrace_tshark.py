"""tshark with export/wireshark/vmtrace.lua, for the tests of tests/export/lua.

Tshark(lua, home).fields(path, ["vmtrace.reg", ...], display_filter) gives
one dict per frame.  HOME is a fresh directory so no personal preferences,
user DLTs or personal copy of the dissector change what is tested; a copy
in the global folder (meson install) must be this very file.
"""
import os
import subprocess


class TsharkError(Exception):
    pass


class Tshark:
    def __init__(self, tshark, lua, home):
        self.tshark = tshark
        self.lua = os.path.abspath(lua)
        self.env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
                        WIRESHARK_CONFIG_DIR=os.path.join(home, "wsconf"))
        self.installed_same = self._check_installed()

    def _check_installed(self):
        """True if the global Lua plugin folder holds this very file (meson install); TsharkError if another one."""
        p = subprocess.run([self.tshark, "-G", "folders"], env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        folders = [line.split("\t")[-1] for line in p.stdout.splitlines() if "Lua Plugins" in line]
        with open(self.lua, "rb") as f:
            ours = f.read()
        same = False
        for folder in folders:
            for root, _, files in os.walk(folder):
                if "vmtrace.lua" in files:
                    path = os.path.join(root, "vmtrace.lua")
                    with open(path, "rb") as f:
                        if f.read() != ours:
                            raise TsharkError("%s is installed and differs from %s: tshark would use it" %
                                              (path, self.lua))
                    same = True
        return same

    def run(self, path, *args, two_pass=True):
        """tshark's stdout; TsharkError if it fails, or says anything about Lua or a shadowing copy."""
        cmd = [self.tshark, "-n", "-X", "lua_script:" + self.lua, "-r", path]
        if two_pass:
            cmd.append("-2")  # links to later frames are made on the first pass
        cmd += list(args)
        p = subprocess.run(cmd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise TsharkError("%s: exit status %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
        shadowed = "already registered" in p.stderr and not self.installed_same
        if "Lua" in p.stderr or shadowed:
            raise TsharkError("%s: %s" % (" ".join(cmd), p.stderr.strip()))
        return p.stdout

    def fields(self, path, names, display_filter=None, two_pass=True):
        """{frame number: {field: value}}, repeated occurrences joined by ';'."""
        args = ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=;", "-e", "frame.number"]
        for n in names:
            args += ["-e", n]
        if display_filter:
            args += ["-Y", display_filter]
        rows = {}
        for line in self.run(path, *args, two_pass=two_pass).splitlines():
            cols = line.split("\t")
            rows[int(cols[0])] = dict(zip(names, cols[1:]))
        return rows
