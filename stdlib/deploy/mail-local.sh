# A mail transfer agent, where one runs, listens on the loopback addresses alone (CIS Debian 12
# 2.1.21): the ports of SMTP (25), submissions (465) and submission (587) on any other address
# stop the host play, each named. Reads `ss -ltnH` (its output is the first argument, or ss's
# own when absent); changes nothing.
set -eu
listening=${1-$(ss -ltnH)}
found=0
for local in $(printf '%s\n' "$listening" | awk '{ print $4 }'); do
    port=${local##*:}
    addr=${local%:*}
    case $port in 25 | 465 | 587) ;; *) continue ;; esac
    case $addr in 127.* | "[::1]" | "::1") continue ;; esac
    echo "2.1.21: a mail transfer agent listens on $local, beyond the loopback addresses"
    found=1
done
exit "$found"
