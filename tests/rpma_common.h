/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tests/rpma_server.c and tests/rpma_client.c share: the address they
 * meet at, the connection's private data (the server's memory region and
 * the range the client is to write), and librpma's log routed to stderr.
 */
#ifndef GUPL_RPMA_COMMON_H
#define GUPL_RPMA_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librpma.h>

#define RPMA_ADDR	"192.0.2.1"	/* rxe0's netdev, dummy0 */
#define RPMA_PORT	"7204"
#define RPMA_MAGIC	0x67757031	/* "gup1" */
#define RPMA_DESC_MAX	64

/*
 * The private data of the server's accept: where to write and the memory
 * region's descriptor.  Both ends run in the same guest: host byte order.
 */
struct rpma_offer {
	uint32_t magic;
	uint32_t desc_size;
	uint64_t offset;
	uint64_t len;
	unsigned char desc[RPMA_DESC_MAX];
};

/*
 * The range written in a file of @size bytes: half of it, starting at a
 * quarter plus 100 bytes (not page aligned).  The server's check mode
 * derives it again from the file's size.
 */
static inline void rpma_range(uint64_t size, uint64_t *offset, uint64_t *len)
{
	*offset = size / 4 + 100;
	*len = size / 2;
}

/* librpma's log messages, prefixed, on stderr; errno kept. */
static void rpma_log_stderr(enum rpma_log_level level, const char *file_name,
			    const int line_no, const char *function_name,
			    const char *message_format, ...)
{
	int saved = errno;
	char msg[512];
	va_list ap;

	(void)file_name;
	(void)line_no;
	va_start(ap, message_format);
	vsnprintf(msg, sizeof(msg), message_format, ap);
	va_end(ap);
	msg[strcspn(msg, "\n")] = '\0';
	fprintf(stderr, "librpma: %s: %s(): %s\n",
		level <= RPMA_LOG_LEVEL_ERROR ? "error" : "warning",
		function_name, msg);
	errno = saved;
}

static inline void rpma_log_setup(void)
{
	rpma_log_set_function(rpma_log_stderr);
	rpma_log_set_threshold(RPMA_LOG_THRESHOLD, RPMA_LOG_LEVEL_WARNING);
}

/* parse_byte STR: 0xNN or NN (0..255, not 0: zero is what holes read). */
static inline int parse_byte(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	return *s && !*end && v > 0 && v < 256 ? (int)v : -1;
}

/* One line of output, prefixed with the program's name (RPMA_PROG). */
#define say(...) do { printf(RPMA_PROG ": " __VA_ARGS__); putchar('\n'); \
		      fflush(stdout); } while (0)

static inline int fail(const char *what, int ret)
{
	say("FAIL: %s: %s", what, rpma_err_2str(ret));
	return 1;
}

/* Wait for the connection's next event; is it @want? */
static inline bool next_event_is(struct rpma_conn *conn,
				 enum rpma_conn_event want)
{
	enum rpma_conn_event ev = RPMA_CONN_UNDEFINED;
	int ret = rpma_conn_next_event(conn, &ev);

	if (ret)
		say("rpma_conn_next_event: %s", rpma_err_2str(ret));
	else if (ev != want)
		say("connection event %s, expected %s",
		    rpma_utils_conn_event_2str(ev),
		    rpma_utils_conn_event_2str(want));
	return !ret && ev == want;
}

#endif
