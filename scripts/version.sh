#!/bin/sh
# The version vmtrace reports (`vmtrace version`): `git describe` of the
# checkout it was built from (a tag v1.2.3 gives 1.2.3, 1.2.3-4-gHASH
# after it), meson's project version with the commit (0.1.0-gHASH) while
# no release is tagged, "-dirty" when tracked files differ from the
# commit, and the project version alone outside a checkout (a tarball, a
# Debian source package).  meson's vcs_tag runs it at every build.
#   scripts/version.sh SOURCE_DIR PROJECT_VERSION
src=$1
fallback=$2
if d=$(git -C "$src" describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
	echo "${d#v}"
elif h=$(git -C "$src" rev-parse --short HEAD 2>/dev/null); then
	if git -C "$src" diff --quiet HEAD -- 2>/dev/null; then
		echo "$fallback-g$h"
	else
		echo "$fallback-g$h-dirty"
	fi
else
	echo "$fallback"
fi
