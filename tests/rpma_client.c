// SPDX-License-Identifier: GPL-2.0
/*
 * The active side of tests/rpma_server.c: connect with librpma, take the
 * server's memory region and range from the connection's private data,
 * rpma_write() BYTE over the range from a buffer of our own, rpma_flush()
 * it with RPMA_FLUSH_TYPE_VISIBILITY (librpma reads after the write: the
 * rdma-core 44 verbs have no native flush), wait for the flush's
 * completion and disconnect.
 *
 *   rpma_client [-a ADDR] [-p PORT] [-n BLOCKS [-d MS]] [-t SECONDS] BYTE
 *
 * With -n BLOCKS, a stream instead: BLOCKS writes of 4 KiB, one after the
 * other over the range, each flushed and waited for before the next (-d:
 * after a pause of MS milliseconds), with a line "flushed N" once N blocks
 * are known to be in the server's memory.  The two-guest test cuts such a
 * stream with a power cut, or a kill -9 of either end.  -t: give up
 * waiting for a completion after SECONDS (see wait_flush()).
 *
 * Exit status 0 when the write and the flush completed, 1 otherwise,
 * 2 usage.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RPMA_PROG "rpma_client"
#include "rpma_common.h"

#define FLUSH_ID	((void *)0xf1)
#define BLOCK		4096

static const char *addr = RPMA_ADDR, *port = RPMA_PORT;
static unsigned long stream_blocks, stream_delay_ms, wait_timeout_s;

/*
 * Wait for the completion of the flush (the write reports only errors),
 * watching the connection too: a server that goes away ends the
 * connection (its kernel sends a disconnect request), and the client then
 * disconnects itself, which moves its queue pair to the error state and
 * completes the flush with an error.  After -t SECONDS without either, it
 * gives up the same way: a peer whose power was cut sends nothing, and
 * rxe retries a transport retry count of 7 (rdma_cm's, librpma's) forever.
 */
static int wait_flush(struct rpma_conn *conn)
{
	enum rpma_conn_event ev = RPMA_CONN_UNDEFINED;
	struct pollfd pfd[2] = { { .events = POLLIN }, { .events = POLLIN } };
	bool gone = false;
	struct rpma_cq *cq;
	struct ibv_wc wc;
	int ret, n;

	ret = rpma_conn_get_cq(conn, &cq);
	if (!ret)
		ret = rpma_cq_get_fd(cq, &pfd[0].fd);
	if (!ret)
		ret = rpma_conn_get_event_fd(conn, &pfd[1].fd);
	if (ret)
		return fail("rpma_conn_get_cq/rpma_cq_get_fd/rpma_conn_get_event_fd", ret);
	for (;;) {
		ret = rpma_cq_get_wc(cq, 1, &wc, NULL);
		if (ret && ret != RPMA_E_NO_COMPLETION)
			return fail("rpma_cq_get_wc", ret);
		if (!ret && wc.status != IBV_WC_SUCCESS) {
			say("FAIL: %s completed with %s",
			    wc.wr_id == (uintptr_t)FLUSH_ID ? "rpma_flush" : "rpma_write",
			    ibv_wc_status_str(wc.status));
			return 1;
		}
		/* Done, even if the connection ended meanwhile. */
		if (!ret && wc.wr_id == (uintptr_t)FLUSH_ID)
			return 0;
		if (!ret)
			continue;
		n = poll(pfd, gone ? 1 : 2, wait_timeout_s ? wait_timeout_s * 1000 : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && gone) {
			say("FAIL: no completion after disconnecting");
			return 1;
		}
		if (n == 0 || (!gone && pfd[1].revents)) {
			if (n == 0)
				say("no completion in %lu s: disconnecting", wait_timeout_s);
			else if (!rpma_conn_next_event(conn, &ev))
				say("the connection ended: %s; disconnecting",
				    rpma_utils_conn_event_2str(ev));
			rpma_conn_disconnect(conn);
			gone = true;
			continue;
		}
		if (pfd[0].revents) {
			ret = rpma_cq_wait(cq);
			if (ret && ret != RPMA_E_NO_COMPLETION)
				return fail("rpma_cq_wait", ret);
		}
	}
}

/* rpma_write() LEN bytes to OFFSET of DST and rpma_flush() them. */
static int write_flush(struct rpma_conn *conn, struct rpma_mr_remote *dst,
		       size_t offset, struct rpma_mr_local *src_mr, size_t len)
{
	int ret;

	ret = rpma_write(conn, dst, offset, src_mr, 0, len,
			 RPMA_F_COMPLETION_ON_ERROR, NULL);
	if (ret)
		return fail("rpma_write", ret);
	ret = rpma_flush(conn, dst, offset, len, RPMA_FLUSH_TYPE_VISIBILITY,
			 RPMA_F_COMPLETION_ALWAYS, FLUSH_ID);
	if (ret)
		return fail("rpma_flush", ret);
	return wait_flush(conn);
}

/* -n: the blocks one after the other, each flushed before the next. */
static int stream(struct rpma_conn *conn, struct rpma_mr_remote *dst,
		  const struct rpma_offer *offer, struct rpma_mr_local *src_mr)
{
	unsigned long i;

	if (stream_blocks > offer->len / BLOCK) {
		say("FAIL: %lu blocks do not fit the offered %llu bytes",
		    stream_blocks, (unsigned long long)offer->len);
		return 1;
	}
	for (i = 0; i < stream_blocks; i++) {
		if (write_flush(conn, dst, offer->offset + i * BLOCK, src_mr,
				BLOCK))
			return 1;
		say("flushed %lu", i + 1);
		if (stream_delay_ms)
			usleep(stream_delay_ms * 1000);
	}
	return 0;
}

static int run(int byte)
{
	struct rpma_conn_private_data pdata;
	struct rpma_mr_remote *dst = NULL;
	struct rpma_mr_local *src_mr = NULL;
	struct rpma_conn_req *req = NULL;
	struct rpma_conn *conn = NULL;
	struct rpma_peer *peer = NULL;
	struct ibv_context *ctx;
	struct rpma_offer offer;
	size_t remote_size;
	int ret, flush_type;
	char *src;

	ret = rpma_utils_get_ibv_context(addr, RPMA_UTIL_IBV_CONTEXT_REMOTE, &ctx);
	if (ret)
		return fail("rpma_utils_get_ibv_context", ret);
	ret = rpma_peer_new(ctx, &peer);
	if (ret)
		return fail("rpma_peer_new", ret);
	ret = rpma_conn_req_new(peer, addr, port, NULL, &req);
	if (ret)
		return fail("rpma_conn_req_new", ret);
	ret = rpma_conn_req_connect(&req, NULL, &conn);
	if (ret)
		return fail("rpma_conn_req_connect", ret);
	if (!next_event_is(conn, RPMA_CONN_ESTABLISHED)) {
		say("FAIL: no connection to %s:%s", addr, port);
		return 1;
	}

	ret = rpma_conn_get_private_data(conn, &pdata);
	if (ret)
		return fail("rpma_conn_get_private_data", ret);
	if (!pdata.ptr || pdata.len < sizeof(offer)) {
		say("FAIL: %u bytes of private data, expected %zu", pdata.len,
		    sizeof(offer));
		return 1;
	}
	memcpy(&offer, pdata.ptr, sizeof(offer));
	if (offer.magic != RPMA_MAGIC || offer.desc_size > sizeof(offer.desc)) {
		say("FAIL: the private data is not rpma_server's");
		return 1;
	}
	ret = rpma_mr_remote_from_descriptor(offer.desc, offer.desc_size, &dst);
	if (ret)
		return fail("rpma_mr_remote_from_descriptor", ret);
	ret = rpma_mr_remote_get_size(dst, &remote_size);
	if (!ret)
		ret = rpma_mr_remote_get_flush_type(dst, &flush_type);
	if (ret)
		return fail("rpma_mr_remote_get_size/flush_type", ret);
	if (offer.offset + offer.len > remote_size ||
	    !(flush_type & RPMA_MR_USAGE_FLUSH_TYPE_VISIBILITY)) {
		say("FAIL: the remote region (%zu bytes, flush type 0x%x) does not fit the offer",
		    remote_size, flush_type);
		return 1;
	}

	src = mmap(NULL, offer.len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED) {
		say("FAIL: mmap: %m");
		return 1;
	}
	memset(src, byte, offer.len);
	ret = rpma_mr_reg(peer, src, offer.len, RPMA_MR_USAGE_WRITE_SRC, &src_mr);
	if (ret)
		return fail("rpma_mr_reg of the source buffer", ret);

	if (stream_blocks) {
		if (stream(conn, dst, &offer, src_mr))
			return 1;
		goto disconnect;
	}
	if (write_flush(conn, dst, offer.offset, src_mr, offer.len))
		return 1;
disconnect:

	ret = rpma_conn_disconnect(conn);
	if (ret)
		return fail("rpma_conn_disconnect", ret);
	if (!next_event_is(conn, RPMA_CONN_CLOSED))
		say("(no clean close event; carrying on)");
	rpma_conn_delete(&conn);
	rpma_mr_dereg(&src_mr);
	rpma_mr_remote_delete(&dst);
	rpma_peer_delete(&peer);
	munmap(src, offer.len);
	say("OK: rpma_write of %llu bytes of 0x%02x at offset %llu of the server's region, rpma_flush(VISIBILITY) completed",
	    stream_blocks ? (unsigned long long)stream_blocks * BLOCK :
			    (unsigned long long)offer.len, byte,
	    (unsigned long long)offer.offset);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, byte;

	while ((opt = getopt(argc, argv, "a:p:n:d:t:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 'n': stream_blocks = strtoul(optarg, NULL, 0); break;
		case 'd': stream_delay_ms = strtoul(optarg, NULL, 0); break;
		case 't': wait_timeout_s = strtoul(optarg, NULL, 0); break;
		default: goto usage;
		}
	}
	if (argc - optind != 1 || (byte = parse_byte(argv[optind])) < 0)
		goto usage;
	rpma_log_setup();
	return run(byte);
usage:
	fprintf(stderr, "usage: rpma_client [-a ADDR] [-p PORT] [-n BLOCKS [-d MS]] [-t SECONDS] BYTE\n");
	return 2;
}
