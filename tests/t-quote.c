/*
 * Shell quoting (common/escape.h): goldens for sh_quote_buf and sh_is_safe,
 * disp() for error messages, and the real oracle: a script of quoted words
 * run by every POSIX shell we can find must print back exactly the bytes
 * that went in.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tap.h"
#include "base/escape.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A C-style quoted copy of s for test names (rotating buffers, up to four per printf). */
static const char *q(const char *s)
{
	static char bufs[4][256];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t len = 0;

	b[len++] = '"';
	for (; *s && len < sizeof bufs[0] - 8; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			b[len++] = '\\';
			b[len++] = (char)ch;
		} else if (ch >= 0x20 && ch < 0x7f) {
			b[len++] = (char)ch;
		} else {
			len += (size_t)snprintf(b + len, 5, "\\x%02x", ch);
		}
	}
	b[len++] = '"';
	b[len] = '\0';
	return b;
}

/* The oracle for a preview's bytes, apart from the code under test: printable
 * ASCII and the newline, nothing a terminal or line editor acts on. */
static bool plain_byte(unsigned char ch)
{
	return (ch >= 0x20 && ch <= 0x7e) || ch == '\n';
}

/* ---- (a) goldens ---------------------------------------------------- */

static const struct {
	const char *in, *want;
} goldens[] = {
	{"", "''"},                      /* the empty word must not vanish */
	{"abc", "abc"},
	{"a b", "'a b'"},
	{"it's", "'it'\\''s'"},
	{"'", "''\\'''"},
	{"#x", "'#x'"},                  /* bare, it would start a comment */
	{"x#", "'x#'"},
	{"a=b", "a=b"},                  /* '=' is safe in argument position */
	{"~root", "'~root'"},            /* bare, it would expand to a home directory */
	{"-n", "-n"},
	{"\\", "'\\'"},
	{"$HOME", "'$HOME'"},
	{"a\nb", "'a\nb'"},
	{"*", "'*'"},
	/* a word with a byte that needs printf is one printf, the word its format */
	{"caf\xc3\xa9", "\"$(printf 'caf\\303\\251')\""}, /* UTF-8 is not for the terminal to draw */
	{"\x15", "\"$(printf '\\025')\""},                  /* ^U, the tty's VKILL */
	{"abc\x15" "def", "\"$(printf 'abc\\025def')\""},
	{"\x15$(id) #", "\"$(printf '\\025$(id) #')\""},    /* no expansion in the quotes */
	{"\x1b[201~", "\"$(printf '\\033[201~')\""},       /* the end of a bracketed paste */
	{"a\tb", "\"$(printf 'a\\011b')\""},               /* a pasted tab completes */
	{"a\r\nb", "\"$(printf 'a\\015\nb')\""},          /* CR would become a newline */
	{"it's\x7f", "\"$(printf 'it\\047s\\177')\""},     /* ' would end the format */
	{"%s\x01\\", "\"$(printf '%%s\\001\\\\')\""},    /* printf's own % and \ doubled */
	{"\xff\x80\x01", "\"$(printf '\\377\\200\\001')\""},
	{"\x01" "7", "\"$(printf '\\0017')\""},             /* three digits, so 7 stays a byte */
	{"-\x01-", "\"$(printf '\\055\\001-')\""},         /* a leading - is no option */
	{"\x01\n", "\"$(printf '\\001')\"'\n'"},          /* $(...) would strip the newline */
	{"\n\x01\n\na\n\n", "\"$(printf '\n\\001\n\na')\"'\n\n'"},
	{"net.ipv4.ip_forward=1", "net.ipv4.ip_forward=1"},
	{"net.ipv4.tcp_rmem=4096 131072 33554432", "'net.ipv4.tcp_rmem=4096 131072 33554432'"},
	{"/run/npte/netns/client", "/run/npte/netns/client"},
	{"fd00:16:3::2/64", "fd00:16:3::2/64"},
	{"@%+=:,./_-", "@%+=:,./_-"},
};

static const struct {
	const char *in;
	bool safe;
} safety[] = {
	{"", false},
	{"abc", true},
	{"ABC019", true},
	{"@%+=:,./_-", true},
	{"-n", true},
	{"a=b", true},
	{"a b", false},
	{"a\tb", false},
	{"a\n", false},
	{"~root", false},
	{"#x", false},
	{"$x", false},
	{"`id`", false},
	{"a;b", false},
	{"a&b", false},
	{"a|b", false},
	{"a<b", false},
	{"a>b", false},
	{"(a)", false},
	{"{a,b}", false},
	{"*", false},
	{"a?", false},
	{"[a]", false},
	{"'", false},
	{"\"", false},
	{"\\", false},
	{"!", false},
	{"^", false},
	{"caf\xc3\xa9", false},
	{"\x7f", false},
	{"\x01", false},
};

static void test_goldens(void)
{
	char buf[256], name[320];

	for (size_t i = 0; i < N_ELEMS(goldens); i++) {
		size_t len = sh_quote_buf(buf, sizeof buf, goldens[i].in);

		snprintf(name, sizeof name, "sh_quote_buf(%s)", q(goldens[i].in));
		is_str(buf, goldens[i].want, name);
		ok(len == strlen(goldens[i].want), "sh_quote_buf(%s) returns its length", q(goldens[i].in));
	}
	for (size_t i = 0; i < N_ELEMS(safety); i++)
		ok(sh_is_safe(safety[i].in) == safety[i].safe, "sh_is_safe(%s) is %s",
		   q(safety[i].in), safety[i].safe ? "true" : "false");

	/* Like snprintf: a short buffer is cut and terminated, the return is the full length. */
	memset(buf, 'Z', sizeof buf);
	ok(sh_quote_buf(buf, 4, "it's") == strlen("'it'\\''s'") && strcmp(buf, "'it") == 0 &&
		   buf[4] == 'Z',
	   "sh_quote_buf cuts to the buffer, stays terminated, returns the full length");
	ok(sh_quote_buf(NULL, 0, "a b") == 5, "sh_quote_buf(NULL, 0) only measures");
	memset(buf, 'Z', sizeof buf);
	ok(sh_quote_buf(buf, 1, "abc") == 3 && buf[0] == '\0' && buf[1] == 'Z',
	   "sh_quote_buf with one byte writes just the terminator");
}

/* ---- (b) disp ------------------------------------------------------- */

static bool all_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static void test_disp(void)
{
	char big[4096];
	const char *d;

	is_str(disp("client"), "client", "disp keeps printable ASCII");
	is_str(disp(""), "", "disp of the empty string is empty");
	is_str(disp("a\x01z"), "a\\x01z", "disp: control byte becomes \\xHH");
	is_str(disp("a\nb"), "a\\x0ab", "disp: newline becomes \\x0a");
	is_str(disp("a\x7f"), "a\\x7f", "disp: DEL becomes \\x7f");
	is_str(disp("caf\xc3\xa9"), "caf\\xc3\\xa9", "disp: UTF-8 bytes become \\xHH");
	is_str(disp("\x1b[31mred"), "\\x1b[31mred", "disp: an escape sequence is defused");
	d = disp("a\r\n\t\x01\x7f\x80\xff");
	ok(all_printable(d) && !strchr(d, '\n'), "disp result is printable, one line: %s", d);

	/* Four results in one printf must not overwrite each other. */
	{
		const char *a = disp("one"), *b = disp("two\x01"), *c = disp("three"), *e = disp("four");

		ok(strcmp(a, "one") == 0 && strcmp(b, "two\\x01") == 0 && strcmp(c, "three") == 0 &&
			   strcmp(e, "four") == 0,
		   "four disp results are usable together");
	}

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	d = disp(big);
	ok(strlen(d) < 512 && strlen(d) > 3 && strcmp(d + strlen(d) - 3, "...") == 0,
	   "disp cuts a 4095-byte value with \"...\" (%zu bytes)", strlen(d));
	memset(big, '\x01', sizeof big - 1);
	d = disp(big);
	ok(strlen(d) < 512 && all_printable(d) && strcmp(d + strlen(d) - 3, "...") == 0,
	   "disp cuts a long value of control bytes, still printable (%zu bytes)", strlen(d));
	/* Every length up to the cut: never a torn \xHH (a '\' must be followed by x and two hex digits). */
	{
		bool torn = false;

		for (size_t n = 1; n < 600 && !torn; n++) {
			memset(big, '\xe9', n);
			big[n] = '\0';
			d = disp(big);
			for (const char *p = d; *p && !torn; p++) {
				if (*p != '\\')
					continue;
				if (p[1] != 'x' || !strchr("0123456789abcdefABCDEF", p[2]) || !p[2] ||
				    !strchr("0123456789abcdefABCDEF", p[3]) || !p[3]) {
					torn = true;
					diag("torn escape at length %zu: %s", n, d);
				}
				p += 3;
			}
		}
		ok(!torn, "disp never cuts inside an \\xHH escape");
	}
}

/* ---- (c) round trip through real shells ------------------------------ */

#define N_FIXED 30
#define N_RANDOM 300
#define N_WORDS (N_FIXED + N_RANDOM)
#define N_BYTE_WORDS (4 * 255)
#define WORDS_CAP N_BYTE_WORDS /* the larger of the two sets */
#define WORD_MAX 20 /* 19 bytes + NUL */
/* The longest quoting of a word: a lone ' or byte costs at most 18. */
#define QUOTED_MAX (WORD_MAX * 18 + 8)

static const char *const fixed_words[N_FIXED] = {
	"",
	"'",
	"''",
	"\\",
	"\\'",
	"$HOME",
	"`id`",
	"$(id)",
	"\n",
	"a\nb\n",
	"-n",
	"--",
	"~root",
	"#x",
	"*",
	"[a]",
	"!",
	"{a,b}",
	"\t",
	" lead and trail ",
	"caf\xc3\xa9",
	"\xff\xfe",
	"a;b&c|d",
	"<x>",
	"\"dq\"",
	"%s%n",
	"${x:-y}",
	"a=b",
	"\x01\x1b\x7f",
	"'\\''",
};

static char words[WORDS_CAP][WORD_MAX];
static size_t nwords;

/* xorshift64*: a small deterministic generator, so a failure replays from the seed. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void make_words(uint64_t seed)
{
	rng_state = seed ? seed : 1;
	nwords = N_WORDS;
	for (size_t i = 0; i < N_FIXED; i++)
		snprintf(words[i], WORD_MAX, "%s", fixed_words[i]);
	for (size_t i = N_FIXED; i < N_WORDS; i++) {
		size_t len = 1 + rng_next() % (WORD_MAX - 1);

		for (size_t j = 0; j < len; j++)
			words[i][j] = (char)(1 + rng_next() % 255); /* any byte but NUL */
		words[i][len] = '\0';
	}
}

/* The bytes printf '%s\0' must print: every word followed by a NUL. */
static size_t expected_output(char *buf, size_t n)
{
	size_t len = 0;

	for (size_t i = 0; i < nwords; i++) {
		size_t wl = strlen(words[i]);

		if (len + wl + 1 > n)
			return (size_t)-1;
		memcpy(buf + len, words[i], wl + 1);
		len += wl + 1;
	}
	return len;
}

/*
 * Every word of the script of 255 byte values: each byte alone, between two
 * plain bytes, before a newline (which the command substitution of a printf
 * form must not take with it) and doubled inside quotes.
 */
static void make_byte_words(void)
{
	nwords = 0;
	for (unsigned b = 1; b < 256; b++) {
		snprintf(words[nwords++], WORD_MAX, "%c", (char)b);
		snprintf(words[nwords++], WORD_MAX, "a%cz", (char)b);
		snprintf(words[nwords++], WORD_MAX, "%c\n", (char)b);
		snprintf(words[nwords++], WORD_MAX, "'%c%c'", (char)b, (char)b);
	}
}

/* When set, each word goes on a line of its own through sh_quote_wrap at
 * this width, the renderer's way with a long word that needs printf. */
static size_t wrap_width;

/* Write the script with sh_quote; also check sh_quote (FILE) and
 * sh_quote_buf agree on every word, since the renderer uses the first, and
 * that every byte written is a plain one (0x20..0x7e or a newline), on lines
 * no longer than wrap_width when that is set. */
static bool write_script(char *path, size_t pathn, bool *agree, bool *plain)
{
	char qb[QUOTED_MAX];
	int fd;
	FILE *f;

	snprintf(path, pathn, "/tmp/npte-t-quote.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return false;
	}
	*agree = *plain = true;
	fputs("printf '%s\\0'", f);
	for (size_t i = 0; i < nwords; i++) {
		char *mem = NULL;
		size_t memlen = 0;
		FILE *m = open_memstream(&mem, &memlen);

		if (!m) {
			fclose(f);
			unlink(path);
			return false;
		}
		if (wrap_width)
			sh_quote_wrap(m, words[i], 0, wrap_width);
		else
			sh_quote(m, words[i]);
		fclose(m);
		sh_quote_buf(qb, sizeof qb, words[i]);
		if (!wrap_width && strcmp(mem, qb) != 0) {
			*agree = false;
			diag("word %zu %s: sh_quote gave %s, sh_quote_buf gave %s", i, q(words[i]),
			     q(mem), q(qb));
		}
		for (size_t j = 0, col = 0; mem[j]; j++) {
			unsigned char c = (unsigned char)mem[j];

			col = c == '\n' ? 0 : col + 1;
			if (!plain_byte(c) || (wrap_width && col > wrap_width)) {
				if (*plain)
					diag("word %zu %s: quoted as %s, byte %#x in column %zu", i, q(words[i]),
					     q(mem), c, col);
				*plain = false;
			}
		}
		fputs(wrap_width ? " \\\n" : " ", f);
		fputs(mem, f);
		free(mem);
	}
	fputc('\n', f);
	if (fclose(f) != 0) {
		unlink(path);
		return false;
	}
	return true;
}

/* Find cmd on a fixed PATH (the test's own PATH may be anything). */
static bool find_cmd(const char *cmd, char *out, size_t n)
{
	static const char *const dirs[] = {"/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"};

	for (size_t i = 0; i < N_ELEMS(dirs); i++) {
		snprintf(out, n, "%s/%s", dirs[i], cmd);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Run argv in directory cwd with stdout into buf; returns the byte count (or
 * -1) and the wait status in *status. The environment is fixed: a UTF-8
 * locale is the harder case for a shell reading stray high bytes, and PATH
 * finds printf for shells without the builtin (posh).
 */
static ssize_t run_capture(char *const argv[], const char *cwd, char *buf, size_t n, int *status)
{
	static char *const envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C.UTF-8", NULL};
	int pfd[2];
	size_t len = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(pfd[1], 1) < 0 || chdir(cwd) < 0)
			_exit(126);
		alarm(30); /* a hung shell fails the test instead of hanging prove */
		execve(argv[0], argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char sink[4096];
		ssize_t r;

		/* Past n, keep draining so the child never blocks on a full pipe. */
		if (len < n)
			r = read(pfd[0], buf + len, n - len);
		else
			r = read(pfd[0], sink, sizeof sink);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len < n)
			len += (size_t)r;
		else
			len = n + 1;
	}
	close(pfd[0]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return len > n ? -1 : (ssize_t)len;
}

/*
 * Count and remove what a shell left in its scratch directory. A quoting bug
 * desynchronises the parse, and then random bytes such as '>' act as
 * redirections: files appear (seen with a mutated quoter). Running in a
 * private directory keeps that out of the source tree and makes it visible.
 */
static int scratch_clean(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int left = 0;
	DIR *d;
	struct dirent *de;

	if (dfd < 0)
		return -1;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		left++;
		diag("left behind in the scratch directory: %s", q(de->d_name));
		if (unlinkat(dfd, de->d_name, 0) < 0)
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
	return left;
}

/* On a mismatch, name the first word that came back different. */
static void explain_mismatch(const char *got, size_t gotlen)
{
	size_t off = 0;

	for (size_t i = 0; i < nwords; i++) {
		size_t wl = strlen(words[i]);

		if (off + wl + 1 > gotlen || memcmp(got + off, words[i], wl + 1) != 0) {
			char back[WORD_MAX * 4];
			size_t bl = gotlen > off ? gotlen - off : 0;

			if (bl > sizeof back - 1)
				bl = sizeof back - 1;
			memcpy(back, got + off, bl);
			back[bl] = '\0'; /* cut at the first NUL, which is the word's end */
			diag("first difference at word %zu: sent %s, got back %s", i, q(words[i]), q(back));
			return;
		}
		off += wl + 1;
	}
	diag("all words match but %zu extra bytes follow", gotlen - off);
}

/* The words now in words[] through every shell; set says which they are. */
static void roundtrip(const char *set)
{
	static const struct {
		const char *name, *cmd;
		const char *args[3];
	} shells[] = {
		{"dash", "dash", {NULL}},
		{"bash --posix", "bash", {"--posix", NULL}},
		{"bash", "bash", {NULL}},
		{"posh", "posh", {NULL}},
		{"busybox sh", "busybox", {"sh", NULL}},
	};
	static char want[WORDS_CAP * WORD_MAX], got[WORDS_CAP * WORD_MAX + 1];
	char script[64], path[256], scratch[64];
	size_t wantlen;
	bool agree, plain;

	wantlen = expected_output(want, sizeof want);
	if (wantlen == (size_t)-1 || !write_script(script, sizeof script, &agree, &plain)) {
		ok(false, "%s: round-trip script written", set);
		skip(N_ELEMS(shells), "no script");
		return;
	}
	ok(agree, "%s: sh_quote and sh_quote_buf agree on all %zu words", set, nwords);
	ok(plain, "%s: all %zu words are quoted in bytes 0x20..0x7e and newline only", set, nwords);
	snprintf(scratch, sizeof scratch, "/tmp/npte-t-quote-cwd.XXXXXX");
	if (!mkdtemp(scratch)) {
		ok(false, "scratch directory made");
		skip(N_ELEMS(shells), "no scratch directory");
		unlink(script);
		return;
	}

	for (size_t i = 0; i < N_ELEMS(shells); i++) {
		char *argv[6];
		size_t k = 0;
		int status = 0, left;
		ssize_t n;

		if (!find_cmd(shells[i].cmd, path, sizeof path)) {
			char why[128];

			snprintf(why, sizeof why, "%s is not installed", shells[i].cmd);
			skip(1, why);
			continue;
		}
		argv[k++] = path;
		for (size_t j = 0; shells[i].args[j]; j++)
			argv[k++] = (char *)shells[i].args[j];
		argv[k++] = script;
		argv[k] = NULL;
		n = run_capture(argv, scratch, got, sizeof got - 1, &status);
		left = scratch_clean(scratch);
		ok(n >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && (size_t)n == wantlen &&
			   memcmp(got, want, wantlen) == 0 && left == 0,
		   "%s: %s prints back all %zu quoted words byte for byte, creating nothing", set,
		   shells[i].name, nwords);
		if (n < 0)
			diag("%s: could not run or capture its output", shells[i].name);
		else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			diag("%s: wait status %#x", shells[i].name, (unsigned)status);
		if (n >= 0 && ((size_t)n != wantlen || memcmp(got, want, wantlen) != 0)) {
			diag("%s: %zd bytes back, %zu expected", shells[i].name, n, wantlen);
			explain_mismatch(got, (size_t)n);
		}
	}
	unlink(script);
	rmdir(scratch);
}

static void test_roundtrip(void)
{
	const char *env_seed = getenv("NPTE_TEST_SEED");
	uint64_t seed = env_seed ? strtoull(env_seed, NULL, 0) : 0x6e707465u; /* "npte" */

	diag("round-trip seed %#llx (set NPTE_TEST_SEED to replay another)", (unsigned long long)seed);
	make_words(seed);
	roundtrip("random words");
	make_byte_words();
	roundtrip("every byte value");
	make_words(seed);
	wrap_width = 24;
	roundtrip("random words wrapped at 24 columns");
	wrap_width = 0;
}

/*
 * sh_quote_fit, which the wrapping renderer cuts long words with: the prefix
 * it gives quotes within the room, and one byte more would not (unless that
 * longer prefix is a bare safe word, which it counts as quoted).
 */
static void test_fit(void)
{
	char w[64], pre[64];
	bool within = true, longest = true;

	rng_state = 0x66697421u;
	for (int t = 0; t < 20000; t++) {
		size_t len = 1 + rng_next() % (sizeof w - 1), room = rng_next() % 120, n;

		for (size_t j = 0; j < len; j++) {
			/* mostly plain bytes, some quotes and some that need printf */
			uint64_t r = rng_next() % 8;

			w[j] = r < 5 ? (char)(0x20 + rng_next() % 95) : r == 5 ? '\'' : (char)(1 + rng_next() % 255);
		}
		w[len] = '\0';
		n = sh_quote_fit(w, room);
		memcpy(pre, w, n);
		pre[n] = '\0';
		if (n && sh_quote_buf(NULL, 0, pre) > room) {
			if (within)
				diag("fit(%s, %zu) = %zu, which quotes in %zu", q(w), room, n, sh_quote_buf(NULL, 0, pre));
			within = false;
		}
		if (n < len) {
			memcpy(pre, w, n + 1);
			pre[n + 1] = '\0';
			if (!sh_is_safe(pre) && sh_quote_buf(NULL, 0, pre) <= room) {
				if (longest)
					diag("fit(%s, %zu) = %zu, but %zu bytes quote in %zu", q(w), room, n, n + 1,
					     sh_quote_buf(NULL, 0, pre));
				longest = false;
			}
		}
	}
	ok(within, "sh_quote_fit's prefix always quotes within the room");
	ok(longest, "sh_quote_fit gives the longest such prefix");
}

int main(void)
{
	test_goldens();
	test_disp();
	test_fit();
	test_roundtrip();
	return done_testing();
}
