# chain-calls.awk: from a topology file of bench/chain.sh, the npte calls a
# new user would script to build it one object at a time (BIN is the prefix
# before each binary's name, e.g. "sudo -n /usr/local/sbin/"); with
# -v down=1, the calls that tear it down (one destroy per namespace, which
# takes its veths along). Namespace names: PREFIX plus the node's name.
$1 == "node" && !down { print BIN "npte-netns create" ($3 == "forward" ? " --forward " : " ") PREFIX $2 }
$1 == "node" && down { print BIN "npte-netns destroy " PREFIX $2 }
$1 == "link" && !down {
	print BIN "npte-veth add " PREFIX $2 " " PREFIX $3
	print BIN "npte-addr add " PREFIX $2 " if-" PREFIX $3 " " $4
	print BIN "npte-addr add " PREFIX $3 " if-" PREFIX $2 " " $5
}
$1 == "route" && !down { print BIN "npte-route add " PREFIX $2 " " $3 " " $5 }
