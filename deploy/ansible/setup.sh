#!/usr/bin/env bash
# Installs the Ansible tools of deploy/ansible/ into a project venv, from PyPI, pinned:
#
#   bash deploy/ansible/setup.sh            # then: .facefleet/ansible-venv/bin/ansible-playbook ...
#
#   .facefleet/ansible-venv   ansible-core 2.19.14 (needs Python >= 3.11 on the controller), ansible-lint 26.10.1
#   apt (when missing)        python3-venv, openssh-client (ssh, ssh-keygen), openssh-server (the tests' sshd)
#
# Collections: the playbooks use ansible.builtin only (ansible-core ships it). No Galaxy download happens, so
# the setup works where only PyPI/apt are reachable. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/../.."

ANSIBLE_CORE_VERSION=2.19.14
ANSIBLE_LINT_VERSION=26.10.1
venv=.facefleet/ansible-venv
say() { echo "ansible-setup: $*"; }
die() { echo "deploy/ansible/setup.sh: $1" >&2; exit 1; }

missing=()
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || missing+=(openssh-client)
installed_sshd=0
[ -x /usr/sbin/sshd ] || { missing+=(openssh-server); installed_sshd=1; }
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests run their own sshd on 127.0.0.1 (test/deploy/ansible-hosts.ts); a system-wide one on port 22 that
  # the package install may have just started is not wanted on a development machine.
  if [ "$installed_sshd" = 1 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    $SUDO systemctl disable --now ssh.service >/dev/null 2>&1 || true
    say "openssh-server installed for the tests; its system service was disabled"
  fi
fi

python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
  || die "python3 is $(python3 -V 2>&1 | cut -d' ' -f2): ansible-core $ANSIBLE_CORE_VERSION needs Python 3.11 or newer"
stamp="$venv/.facefleet-pins"
want="ansible-core==$ANSIBLE_CORE_VERSION ansible-lint==$ANSIBLE_LINT_VERSION python=$(python3 -c 'import sys; print(sys.version.split()[0])')"
if [ -x "$venv/bin/ansible-playbook" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  say "$venv up to date ($want)"
else
  say "creating $venv with ansible-core $ANSIBLE_CORE_VERSION and ansible-lint $ANSIBLE_LINT_VERSION"
  # The pins stamp is written last: an interrupted install is redone on the next run.
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "ansible-core==$ANSIBLE_CORE_VERSION" "ansible-lint==$ANSIBLE_LINT_VERSION" || die "pip install failed"
  echo "$want" >"$stamp"
fi
# No `| head` here: under pipefail, head closing the pipe kills ansible with BrokenPipeError and fails the setup.
version="$("$venv/bin/ansible-playbook" --version)" || die "$venv/bin/ansible-playbook --version failed"
say "${version%%$'\n'*}"
say "done: $venv/bin/ansible-playbook, ansible-lint, ansible-vault"
