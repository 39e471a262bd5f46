/* A run drawn with cairo (see probe.h): RTT over time above, throughput over
 * time below, the load phases shaded across both, axes labelled; SVG or PNG. */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cairo.h>
#include <cairo-svg.h>
#include "probe/probe.h"

#define W 900
#define H 640

/* A panel: its place on the page and the data range it shows. */
struct panel {
	double x, y, w, h;    /* page units */
	double x0, x1, y0, y1; /* data */
	bool log;             /* y by decades (y0 > 0) */
	bool whole_x;         /* x ticks on whole numbers only (cells) */
};

static double px(const struct panel *p, double v)
{
	return p->x + (v - p->x0) / (p->x1 - p->x0) * p->w;
}

static double py(const struct panel *p, double v)
{
	v = fmax(fmin(v, p->y1), p->y0);
	if (p->log)
		return p->y + p->h - (log10(v) - log10(p->y0)) / (log10(p->y1) - log10(p->y0)) * p->h;
	return p->y + p->h - (v - p->y0) / (p->y1 - p->y0) * p->h;
}

/* A round step (1, 2 or 5 times a power of ten) for about n ticks over span. */
static double tick_step(double span, int n)
{
	double raw = span / n, mag = pow(10, floor(log10(raw))), f = raw / mag;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void text(cairo_t *cr, double x, double y, const char *s, double align, double size)
{
	cairo_text_extents_t te;

	cairo_set_font_size(cr, size);
	cairo_text_extents(cr, s, &te);
	cairo_move_to(cr, x - te.width * align, y);
	cairo_show_text(cr, s);
}

/* A tick on the y axis at v, labelled. */
static void ytick(cairo_t *cr, const struct panel *p, double v)
{
	char num[32];

	cairo_move_to(cr, p->x - 5, py(p, v)), cairo_line_to(cr, p->x, py(p, v));
	snprintf(num, sizeof num, "%g", v);
	text(cr, p->x - 8, py(p, v) + 4, num, 1, 11);
}

/* The frame, ticks (decades on a log axis) and labels of a panel. */
static void axes(cairo_t *cr, const struct panel *p, const char *xlabel, const char *ylabel)
{
	char num[32];
	double sx = tick_step(p->x1 - p->x0, 8), sy = tick_step(p->y1 - p->y0, 5);

	if (p->whole_x)
		sx = fmax(1, round(sx));
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, p->x, p->y, p->w, p->h);
	cairo_stroke(cr);
	for (double v = ceil(p->x0 / sx) * sx; v <= p->x1 + 1e-9; v += sx) {
		cairo_move_to(cr, px(p, v), p->y + p->h), cairo_line_to(cr, px(p, v), p->y + p->h + 5);
		snprintf(num, sizeof num, "%g", v);
		text(cr, px(p, v), p->y + p->h + 18, num, 0.5, 11);
	}
	if (p->log)
		for (double v = pow(10, ceil(log10(p->y0))); v <= p->y1 * (1 + 1e-9); v *= 10)
			ytick(cr, p, v);
	else
		for (double v = ceil(p->y0 / sy) * sy; v <= p->y1 + 1e-9; v += sy)
			ytick(cr, p, v);
	cairo_stroke(cr);
	text(cr, p->x + p->w / 2, p->y + p->h + 36, xlabel, 0.5, 12);
	cairo_save(cr);
	cairo_translate(cr, p->x - 50, p->y + p->h / 2);
	cairo_rotate(cr, -M_PI / 2);
	text(cr, 0, 0, ylabel, 0.5, 12);
	cairo_restore(cr);
}

static const double phase_rgb[PH_N][3] = {{1, 1, 1}, {0.85, 0.92, 1}, {1, 0.9, 0.8}};
static const double line_rgb[PH_N][3] = {{0.2, 0.2, 0.2}, {0.1, 0.35, 0.8}, {0.85, 0.4, 0.05}};

/* Each load phase shaded behind a panel, named above the top one. */
static void phases(cairo_t *cr, const struct probe *pr, const struct panel *p, bool names)
{
	static const char *const label[PH_N] = {"idle", "upload", "download"};

	for (int ph = 0; ph < PH_N; ph++) {
		double a = px(p, pr->ph_from[ph] / 1e9), b = px(p, pr->ph_to[ph] / 1e9);

		if (pr->ph_to[ph] <= pr->ph_from[ph])
			continue;
		cairo_set_source_rgb(cr, phase_rgb[ph][0], phase_rgb[ph][1], phase_rgb[ph][2]);
		cairo_rectangle(cr, a, p->y, b - a, p->h);
		cairo_fill(cr);
		if (names) {
			cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
			text(cr, (a + b) / 2, p->y - 6, label[ph], 0.5, 11);
		}
	}
}

static double span_s(const struct probe *pr)
{
	double end = 0;

	for (int ph = 0; ph < PH_N; ph++)
		end = fmax(end, pr->ph_to[ph] / 1e9);
	for (uint32_t i = 0; i < pr->echo->n; i++)
		end = fmax(end, pr->echo->r[i].t_ns / 1e9);
	return end > 0 ? end : 1;
}

/* RTT dots; a lost probe as a red tick at the top. */
static void rtt_panel(cairo_t *cr, const struct probe *pr, struct panel *p)
{
	double top = 1;

	for (uint32_t i = 0; i < pr->echo->n; i++)
		top = fmax(top, pr->echo->r[i].rtt_ns / 1e6);
	p->y1 = top * 1.1;
	phases(cr, pr, p, true);
	for (uint32_t i = 0; i < pr->echo->n; i++) {
		const struct echo_rec *r = &pr->echo->r[i];
		double x = px(p, r->t_ns / 1e9);

		if (r->rtt_ns < 0) {
			cairo_set_source_rgb(cr, 0.85, 0.1, 0.1);
			cairo_rectangle(cr, x - 0.5, p->y, 1, 8);
		} else {
			cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
			cairo_arc(cr, x, py(p, r->rtt_ns / 1e6), 1.5, 0, 2 * M_PI);
		}
		cairo_fill(cr);
	}
	axes(cr, p, "time (s)", "RTT (ms)");
}

/* Each transfer's rate per interval, as a line in its phase's colour, named
 * at its start; by decades when the two differ by more than 20 times. */
static void rate_panel(cairo_t *cr, const struct probe *pr, struct panel *p)
{
	static const char *const name[PH_N] = {"", "upload", "download"};
	double top = 1, low = INFINITY;

	for (int ph = PH_UP; ph < PH_N; ph++)
		for (int i = 0; i < pr->bulk[ph].n; i++)
			top = fmax(top, pr->bulk[ph].iv[i].bps / 1e6), low = fmin(low, fmax(pr->bulk[ph].iv[i].bps / 1e6, 0.01));
	p->log = isfinite(low) && top / low > 20;
	p->y0 = p->log ? pow(10, floor(log10(low))) : 0;
	p->y1 = p->log ? pow(10, ceil(log10(top * 1.05))) : top * 1.1;
	phases(cr, pr, p, false);
	cairo_set_line_width(cr, 2);
	for (int ph = PH_UP; ph < PH_N; ph++) {
		const struct bulk_result *b = &pr->bulk[ph];

		cairo_set_source_rgb(cr, line_rgb[ph][0], line_rgb[ph][1], line_rgb[ph][2]);
		for (int i = 0; i < b->n; i++)
			(i ? cairo_line_to : cairo_move_to)(cr, px(p, b->iv[i].t), py(p, b->iv[i].bps / 1e6));
		cairo_stroke(cr);
		if (b->n)
			text(cr, px(p, b->iv[0].t), py(p, b->iv[0].bps / 1e6) - 6, name[ph], 0, 11);
	}
	axes(cr, p, "time (s)", p->log ? "throughput (Mbit/s, log)" : "throughput (Mbit/s)");
}

static void draw(cairo_t *cr, const struct probe *pr)
{
	char title[160];
	double end = span_s(pr);
	struct panel rtt = {.x = 80, .y = 60, .w = W - 110, .h = 230, .x1 = end};
	struct panel rate = {.x = 80, .y = 360, .w = W - 110, .h = 210, .x1 = end};

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_source_rgb(cr, 0, 0, 0);
	snprintf(title, sizeof title, "npte-probe %s -> %s, %s", pr->from, pr->to, pr->when);
	text(cr, W / 2.0, 26, title, 0.5, 15);
	rtt_panel(cr, pr, &rtt);
	rate_panel(cr, pr, &rate);
}

/* --- a sweep's summary ------------------------------------------------------ */

/* The field at off of each point. */
static double field(const struct sweep_point *pt, size_t off)
{
	return *(const double *)(const void *)((const char *)pt + off);
}

/* A series' mark at x, y: measured a dot, applied an open square. */
static void mark(cairo_t *cr, double x, double y, bool applied)
{
	if (applied) {
		cairo_rectangle(cr, x - 4, y - 4, 8, 8);
		cairo_stroke(cr);
	} else {
		cairo_arc(cr, x, y, 3.5, 0, 2 * M_PI);
		cairo_fill(cr);
	}
}

/* One series over the cells: measured as dots on a line, applied as open
 * squares on a dashed one; a NAN is a gap. Named in the legend, row row. */
static void series(cairo_t *cr, const struct panel *p, const struct sweep_point *pt, int n, size_t off, bool applied,
		   const double *rgb, const char *name, int row)
{
	bool on = false;

	cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
	cairo_set_line_width(cr, applied ? 1 : 2);
	cairo_set_dash(cr, (double[]){5, 4}, applied ? 2 : 0, 0);
	for (int i = 0; i < n; i++) {
		double v = field(&pt[i], off);

		if (isnan(v)) {
			on = false;
			continue;
		}
		(on ? cairo_line_to : cairo_move_to)(cr, px(p, i + 1), py(p, v));
		on = true;
	}
	cairo_stroke(cr);
	cairo_set_dash(cr, NULL, 0, 0);
	for (int i = 0; i < n; i++)
		if (!isnan(field(&pt[i], off)))
			mark(cr, px(p, i + 1), py(p, field(&pt[i], off)), applied);
	mark(cr, p->x + p->w + 16, p->y + 12 + 18 * row, applied);
	text(cr, p->x + p->w + 26, p->y + 16 + 18 * row, name, 0, 11);
}

static double series_max(const struct sweep_point *pt, int n, const size_t *off, int noff)
{
	double top = 1;

	for (int i = 0; i < n; i++)
		for (int k = 0; k < noff; k++)
			if (!isnan(field(&pt[i], off[k])))
				top = fmax(top, field(&pt[i], off[k]));
	return top * 1.15;
}

static void sweep_draw(cairo_t *cr, const struct sweep_point *pt, int n, const char *title)
{
	static const size_t rate[4] = {offsetof(struct sweep_point, up_mbps), offsetof(struct sweep_point, up_applied_mbps),
				       offsetof(struct sweep_point, down_mbps),
				       offsetof(struct sweep_point, down_applied_mbps)};
	static const size_t rtt[2] = {offsetof(struct sweep_point, rtt_ms), offsetof(struct sweep_point, rtt_applied_ms)};
	struct panel top = {.x = 80, .y = 60, .w = W - 210, .h = 230, .x0 = 0.5, .x1 = n + 0.5, .whole_x = true};
	struct panel low = {.x = 80, .y = 360, .w = W - 210, .h = 210, .x0 = 0.5, .x1 = n + 0.5, .whole_x = true};

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, W / 2.0, 26, title, 0.5, 15);
	text(cr, W / 2.0, 44, "measured (dots) against applied (squares), cell by cell", 0.5, 11);
	top.y1 = series_max(pt, n, rate, 4);
	series(cr, &top, pt, n, rate[0], false, line_rgb[PH_UP], "up", 0);
	series(cr, &top, pt, n, rate[1], true, line_rgb[PH_UP], "up applied", 1);
	series(cr, &top, pt, n, rate[2], false, line_rgb[PH_DOWN], "down", 2);
	series(cr, &top, pt, n, rate[3], true, line_rgb[PH_DOWN], "down applied", 3);
	axes(cr, &top, "cell", "throughput (Mbit/s)");
	low.y1 = series_max(pt, n, rtt, 2);
	series(cr, &low, pt, n, rtt[0], false, line_rgb[PH_IDLE], "idle median", 0);
	series(cr, &low, pt, n, rtt[1], true, line_rgb[PH_IDLE], "delays applied", 1);
	axes(cr, &low, "cell", "RTT (ms)");
}

static cairo_status_t to_file(void *arg, const unsigned char *data, unsigned int len)
{
	return fwrite(data, 1, len, arg) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* What draw draws (one run's plot or a sweep's), as PNG or SVG bytes. */
struct drawing {
	void (*draw)(cairo_t *cr, const void *arg);
	const void *arg;
};

static int render(const struct drawing *d, bool png, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	cairo_surface_t *s;
	cairo_t *cr;
	cairo_status_t st;

	if (!f)
		return -ENOMEM;
	s = png ? cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H)
		: cairo_svg_surface_create_for_stream(to_file, f, W, H);
	if (!png) /* pixels, as the PNG has them (cairo's default is points) */
		cairo_svg_surface_set_document_unit(s, CAIRO_SVG_UNIT_PX);
	cr = cairo_create(s);
	d->draw(cr, d->arg);
	st = cairo_status(cr);
	cairo_destroy(cr);
	if (png && st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_write_to_png_stream(s, to_file, f);
	cairo_surface_finish(s);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (fclose(f) || st != CAIRO_STATUS_SUCCESS) {
		free(*buf);
		*buf = NULL;
		return -EIO;
	}
	return 0;
}

static void draw_run(cairo_t *cr, const void *arg)
{
	draw(cr, arg);
}

int probe_plot(const struct probe *pr, bool png, char **buf, size_t *len)
{
	return render(&(struct drawing){.draw = draw_run, .arg = pr}, png, buf, len);
}

struct sweep_arg {
	const struct sweep_point *pt;
	int n;
	const char *title;
};

static void draw_sweep(cairo_t *cr, const void *arg)
{
	const struct sweep_arg *a = arg;

	sweep_draw(cr, a->pt, a->n, a->title);
}

int probe_sweep_plot(const struct sweep_point *pt, int n, const char *title, bool png, char **buf, size_t *len)
{
	return render(&(struct drawing){.draw = draw_sweep, .arg = &(struct sweep_arg){pt, n, title}}, png, buf, len);
}
