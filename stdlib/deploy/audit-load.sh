if auditctl -s | grep -qx 'enabled 2'; then echo 'the running audit rules are locked (-e 2): the new rules load at the next boot' >&2; else augenrules --load; fi
