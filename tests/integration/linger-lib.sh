# Helpers of the NOTW_LINGER tests (linger*.sh), sourced after lib.sh.

# timewait_to_port PORT: timewait sockets of connections TO port PORT (the
# client side).
timewait_to_port() {
	ss -tanoH state time-wait state fin-wait-2 "( dport = :$1 )" | grep -c 'timewait'
}

# The remote port of each socket line on stdin whose local port is $1.
_peer_ports() {
	awk -v p=":$1" '{
		for (i = 1; i < NF; i++)
			if (length($i) > length(p) && substr($i, length($i) - length(p) + 1) == p) {
				n = split($(i + 1), a, ":")
				print a[n]
				break
			}
	}' | sort -u
}

# established_peers PORT: the remote ports of the established connections on
# local port PORT, one a line, to name those connections later.
established_peers() {
	ss -tanH state established "( sport = :$1 )" | _peer_ports "$1"
}

# timewait_of_peers PORT PEERS: how many of the connections named by PEERS
# (from established_peers) are now timewait sockets on local port PORT.
# Unlike a count of the whole port it ignores older timewait sockets, and
# those a new connection reused (a client may pick the same port again).
timewait_of_peers() {
	ss -tanoH state time-wait state fin-wait-2 "( sport = :$1 )" | grep 'timewait' | _peer_ports "$1" |
		comm -12 - <(printf '%s\n' "$2") | grep -c .
}
