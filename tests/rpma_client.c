// SPDX-License-Identifier: GPL-2.0
/*
 * The active side of tests/rpma_server.c: connect with librpma, take the
 * server's memory region and range from the connection's private data,
 * rpma_write() BYTE over the range from a buffer of our own, rpma_flush()
 * it with RPMA_FLUSH_TYPE_VISIBILITY (librpma reads after the write: the
 * rdma-core 44 verbs have no native flush), wait for the flush's
 * completion and disconnect.
 *
 *   rpma_client [-a ADDR] [-p PORT] BYTE
 *
 * Exit status 0 when the write and the flush completed, 1 otherwise,
 * 2 usage.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RPMA_PROG "rpma_client"
#include "rpma_common.h"

#define FLUSH_ID	((void *)0xf1)

static const char *addr = RPMA_ADDR, *port = RPMA_PORT;

/* Wait for the completion of the flush (the write reports only errors). */
static int wait_flush(struct rpma_conn *conn)
{
	struct rpma_cq *cq;
	struct ibv_wc wc;
	int ret;

	ret = rpma_conn_get_cq(conn, &cq);
	if (ret)
		return fail("rpma_conn_get_cq", ret);
	for (;;) {
		ret = rpma_cq_wait(cq);
		if (ret)
			return fail("rpma_cq_wait", ret);
		ret = rpma_cq_get_wc(cq, 1, &wc, NULL);
		if (ret == RPMA_E_NO_COMPLETION)
			continue;
		if (ret)
			return fail("rpma_cq_get_wc", ret);
		if (wc.status != IBV_WC_SUCCESS) {
			say("FAIL: %s completed with %s",
			    wc.wr_id == (uintptr_t)FLUSH_ID ? "rpma_flush" : "rpma_write",
			    ibv_wc_status_str(wc.status));
			return 1;
		}
		if (wc.wr_id == (uintptr_t)FLUSH_ID)
			return 0;
	}
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

	ret = rpma_write(conn, dst, offer.offset, src_mr, 0, offer.len,
			 RPMA_F_COMPLETION_ON_ERROR, NULL);
	if (ret)
		return fail("rpma_write", ret);
	ret = rpma_flush(conn, dst, offer.offset, offer.len,
			 RPMA_FLUSH_TYPE_VISIBILITY, RPMA_F_COMPLETION_ALWAYS,
			 FLUSH_ID);
	if (ret)
		return fail("rpma_flush", ret);
	if (wait_flush(conn))
		return 1;

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
	    (unsigned long long)offer.len, byte,
	    (unsigned long long)offer.offset);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, byte;

	while ((opt = getopt(argc, argv, "a:p:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		default: goto usage;
		}
	}
	if (argc - optind != 1 || (byte = parse_byte(argv[optind])) < 0)
		goto usage;
	rpma_log_setup();
	return run(byte);
usage:
	fprintf(stderr, "usage: rpma_client [-a ADDR] [-p PORT] BYTE\n");
	return 2;
}
