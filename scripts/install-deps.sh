#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt that are not installed yet.
# Idempotent: with everything present it touches nothing and needs no network. Runs apt as root
# (directly, or through sudo when the caller is not root). `apt-get update` runs at most once.
#
# Entries may be arch-qualified (`libhwy-dev:arm64`, Debian multiarch): the foreign architectures
# they name are added with `dpkg --add-architecture` before that single `apt-get update`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list="$here/debian-packages.txt"

wanted=$(grep -vE '^\s*(#|$)' "$list" | awk '{print $1}')
native=$(dpkg --print-architecture)

# One dpkg-query over the whole database: "name:arch" for every installed package instance. An
# unqualified name means the native instance (or an Architecture: all package); `dpkg-query -W
# NAME` alone cannot tell these apart once a Multi-Arch: same package also has foreign instances.
declare -A installed=()
while read -r key status; do
  [ "$status" = "install ok installed" ] && installed[$key]=1
done < <(dpkg-query -W -f='${Package}:${Architecture} ${Status}\n')

missing=()
foreign=()
for pkg in $wanted; do
  name=${pkg%%:*}
  arch=$native
  [[ $pkg == *:* ]] && arch=${pkg#*:}
  if [ "$arch" != "$native" ] && [ "$arch" != all ]; then
    [[ " ${foreign[*]} " == *" $arch "* ]] || foreign+=("$arch")
  fi
  [ -n "${installed[$name:$arch]:-}" ] || [ -n "${installed[$name:all]:-}" ] || missing+=("$pkg")
done

# Foreign architectures named in the list that dpkg does not know yet.
known=" $(dpkg --print-foreign-architectures | tr '\n' ' ') "
add_archs=()
for arch in ${foreign[@]+"${foreign[@]}"}; do
  [[ $known == *" $arch "* ]] || add_archs+=("$arch")
done

if [ ${#missing[@]} -eq 0 ] && [ ${#add_archs[@]} -eq 0 ]; then
  echo "install-deps: all $(echo "$wanted" | wc -w) packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
for arch in ${add_archs[@]+"${add_archs[@]}"}; do
  echo "install-deps: adding architecture $arch"
  $sudo dpkg --add-architecture "$arch"
done
echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A mirror caught mid-sync can fail one index (seen here: bookworm-security armhf) while every
# other one downloads: go on with what was fetched; the install below fails if that is not enough.
$sudo apt-get update -q || echo "install-deps: warning: apt-get update reported errors (see above)" >&2
[ ${#missing[@]} -eq 0 ] || $sudo apt-get install -y -q "${missing[@]}"
