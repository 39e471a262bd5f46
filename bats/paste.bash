# Pasting into an interactive shell as a user would: the shell runs as root
# in the sandbox, in a tmux pane, and a file is pasted the way a terminal
# pastes it (bracketed when the shell asks for it). For paste.bats and
# attack.bats; after sandbox_setup.

# paste_setup: $D for the test's files, $TM the test's own tmux server.
paste_setup() {
	command -v tmux >/dev/null || skip "needs tmux"
	D=$BATS_TEST_TMPDIR/paste
	mkdir -p "$D"
	TM=(tmux -S "$D/tmux.sock" -f /dev/null)
}

# shell_start CMD...: CMD (an interactive shell) as root in the sandbox, in a tmux pane.
shell_start() {
	command -v "$1" >/dev/null || skip "needs $1"
	"${TM[@]}" new-session -d -x 200 -y 50 -s t \
		"nsenter -t $SB_PID -m -n -- env -i PATH=$TOP/build/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=screen HOME=/root PS1='npte\$ ' $*" 3>&-
}

# typed LINE: type LINE and Enter.
typed() {
	"${TM[@]}" send-keys -t t -l "$1"
	"${TM[@]}" send-keys -t t Enter
}

# await FILE: wait (up to 60 s) for the shell to write FILE; show the pane if it never does.
await() {
	for _ in $(seq 600); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "the shell never wrote ${1##*/}; its pane:"
	"${TM[@]}" capture-pane -p -t t -S -60 2>&1
	return 1
}

# record N: the shell writes what must not change into $D/state.N. The same
# line every time, so the redirection's own saved fds are the same too; the
# fds are listed by ls straight into the file (a $(...) or a pipe to a filter
# would show its own pipe, or not, depending on timing); signal
# dispositions (ignored, caught) but not the mask, which dash changes while it
# waits for a child.
record() {
	typed "{ echo \"options \$-\"; echo \"umask \$(umask)\"; trap; grep '^Sig[IC]' /proc/\$\$/status; ls -l --time-style=+ /proc/\$\$/fd/; set; command -v rollback finish; } >|$D/s.tmp 2>&1; mv $D/s.tmp $D/state.$1"
	await "$D/state.$1"
}

# unchanged N: state N equals state 1, but for what each typed command changes
# by itself ($_ and bash's clocks, counters and call stacks).
unchanged() {
	local skip='^(_|LINENO|RANDOM|SRANDOM|SECONDS|EPOCHREALTIME|EPOCHSECONDS|HISTCMD|BASH_COMMAND|BASH_LINENO|PIPESTATUS|COLUMNS|LINES)='
	diff <(grep -Ev "$skip" "$D/state.1") <(grep -Ev "$skip" "$D/state.$1") ||
		{ echo "the shell changed (state 1 vs $1)"; return 1; }
}

# pasted FILE N: paste FILE as a terminal does (bracketed when the shell asks
# for it), then the shell writes the exit status into $D/rc.N.
pasted() {
	"${TM[@]}" load-buffer -b preview "$1"
	"${TM[@]}" paste-buffer -p -d -b preview -t t
	"${TM[@]}" send-keys -t t Enter
	typed "echo \$? >|$D/r.tmp; mv $D/r.tmp $D/rc.$2"
	await "$D/rc.$2"
	# shellcheck disable=SC2034 # read by the .bats files
	RC=$(cat "$D/rc.$2")
}

pane() { "${TM[@]}" capture-pane -p -t t -S -200; }

