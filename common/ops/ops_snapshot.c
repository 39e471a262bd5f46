/* The play's snapshot op (see ops_snapshot.h). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include "base/escape.h"
#include "kernel/netns.h"
#include "kernel/registry.h"
#include "kernel/requests.h"
#include "ops/claim.h"
#include "ops/ops.h"
#include "ops/ops_snapshot.h"

/* The interface claimed, its worst charge noted in the claim. */
static int snap_claim(struct txn *c, const struct op *op, struct play_snapshot *snap)
{
	int rc = claim_take(op->ns, op->u.play.ifname, &snap->playfd);

	if (rc == 0) {
		snap->claimed = true;
		rc = claim_note(snap->playfd, kmem_charge_on(c, op->ns, op->u.play.ifname, &snap->worst));
		if (rc < 0)
			return err_sys(&c->err, EXIT_FAIL, -rc, "%s/%s", NPTE_RUN_DIR, NPTE_PLAY_DIR);
	}
	if (rc == -EBUSY)
		return err_set(&c->err, EXIT_BUSY, "%s: %s: another play is running on it", op->ns,
			       op->u.play.ifname);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s/%s", NPTE_RUN_DIR, NPTE_PLAY_DIR);
	return 0;
}

/* The socket the player keeps, opened inside the namespace of h. */
static int snap_socket(struct txn *c, const struct op *op, struct nshandle *h, struct play_socket *sock)
{
	struct stat st;
	int rc;

	if (fstat(h->fd, &st) < 0)
		return err_sys(&c->err, EXIT_FAIL, errno, "%s", op->ns);
	rc = netns_nl(h->fd, &sock->nl);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: netlink socket", op->ns);
	sock->open = true;
	sock->ns_dev = st.st_dev;
	sock->ns_ino = st.st_ino;
	return 0;
}

/* Under the start's lock, before the first step replaces it: the interface
 * claimed, the tree at the root as it is, and (first interface) the socket
 * the player keeps. */
static int snap_apply(struct txn *c, const struct op *op, bool undo)
{
	struct play_snapshot *snap = op->u.play.snap;
	struct nshandle *h;
	int rc;

	if (undo)
		return 0;
	snap->ifindex = ops_ifindex(c, op->ns, op->u.play.ifname, &h);
	if (snap->ifindex < 0)
		return c->err.code;
	rc = snap_claim(c, op, snap);
	if (rc)
		return rc;
	rc = qdisc_snapshot_take(&h->nl, snap->ifindex, &snap->prev);
	if (rc < 0)
		return err_sys(&c->err, EXIT_FAIL, -rc, "%s: %s: read the qdiscs to restore later", op->ns,
			       op->u.play.ifname);
	return op->u.play.sock->open ? 0 : snap_socket(c, op, h, op->u.play.sock);
}

/* The preview cannot rebuild a qdisc tree from tc's printout, so it starts
 * only over the kernel's default root (handle 0), which it can put back. */
static void snap_render(FILE *f, const struct op *op, const struct txn *c, bool undo)
{
	char msg[200], path[96];
	int fd = 8 - op->u.play.slot;

	(void)c, (void)undo;
	/* as the live run: a missing interface first, before the claim */
	render_dev_check(f, "play", op->ns, op->u.play.ifname);
	/* the same claim on the interface, on an fd the script keeps */
	snprintf(path, sizeof path, "%s/%s/%s:%s", NPTE_RUN_DIR, NPTE_PLAY_DIR, op->ns, op->u.play.ifname);
	snprintf(msg, sizeof msg, "%s: play: %s: %s: another play is running on it", prog, op->ns, op->u.play.ifname);
	fprintf(f, "install -d -m 0700 %s/%s\nexec %d>>", NPTE_RUN_DIR, NPTE_PLAY_DIR, fd);
	sh_quote(f, path);
	fprintf(f, "\nflock -n %d || { echo ", fd);
	sh_quote(f, msg);
	fputs(" >&2; exit 75; }\n", f);
	snprintf(msg, sizeof msg,
		 "%s: play: %s: %s: a preview restores only the kernel's default root qdisc: clear it first, "
		 "or run the live command",
		 prog, op->ns, op->u.play.ifname);
	render_cmd(f, (const char *[]){"ip", "netns", "exec", op->ns, "tc", "qdisc", "show", "dev",
				       op->u.play.ifname, "root", NULL});
	fputs(" | grep -q '^qdisc [a-z_]* 0: root' || { echo ", f);
	sh_quote(f, msg);
	fputs(" >&2; exit 2; }\n", f);
}

const struct op_type play_snapshot_op = {
	.name = "play snapshot", .apply = snap_apply, .render = snap_render,
};

void plan_play_snapshot(struct plan *p, const char *ns, const char *ifname, int slot, struct play_snapshot *snap,
			struct play_socket *sock)
{
	struct op *op = op_ns(p, &play_snapshot_op, ns);

	snprintf(op->u.play.ifname, sizeof op->u.play.ifname, "%s", ifname);
	op->u.play.slot = slot;
	op->u.play.snap = snap;
	op->u.play.sock = sock;
}
