// SPDX-License-Identifier: GPL-2.0
/*
 * The passive side of a librpma application whose memory is a file of an
 * fsdax filesystem, the way librpma's documentation sets one up: the file
 * is created with posix_fallocate() (unwritten extents), mapped with
 * libpmem2, registered with rpma_mr_reg() as the destination of RDMA
 * WRITEs and the source of the reads behind RPMA_FLUSH_TYPE_VISIBILITY,
 * prefetched with rpma_mr_advise(PREFETCH_WRITE, FLUSH); its descriptor
 * goes to the client in the connection's private data.  When the client
 * has written and disconnected, the server reads the file back with
 * pread(): the client's byte over the range it wrote (rpma_common.h),
 * zeroes elsewhere.
 *
 *   rpma_server [-a ADDR] [-p PORT] [-s SIZE] [-z] [-S] serve FILE BYTE
 *   rpma_server [-n BLOCKS] check FILE BYTE
 *
 * serve creates FILE (-z: written with zeroes instead of fallocated), serves
 * one client and checks; check only checks (FILE from an earlier boot).
 * -S serves a client's stream (rpma_client -n) and checks nothing when it
 * ends, however it ends: the caller knows how many blocks were flushed and
 * checks them with -n BLOCKS, which requires only the first BLOCKS blocks
 * of 4 KiB of the range to hold BYTE, and the rest of it BYTE or zero.
 * Exit status: 0 the file holds what the client wrote; 1 anything failed;
 * 2 usage; 3 the kernel refused to register the file (ibv_reg_mr()
 * EOPNOTSUPP: a kernel without long-term pins of fsdax memory, and a device
 * without ODP for librpma's retry), as Linux 6.12 does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libpmem2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RPMA_PROG "rpma_server"
#include "rpma_common.h"

#define EXIT_REFUSED	3
#define PROBE_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ)

static const char *addr = RPMA_ADDR, *port = RPMA_PORT;

/*
 * Check FILE: BYTE over the written range, zeroes elsewhere.  Prints the
 * verdict line.
 */
static unsigned long stream_blocks;	/* -n: check the first N blocks */
static bool stream;			/* -S: serve a stream, check nothing */

static int check_file(const char *path, int byte)
{
	uint64_t off, len, i, bad = 0, first = 0;
	unsigned char *buf;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		say("FAIL: %s: %s", path, strerror(errno));
		return 1;
	}
	rpma_range(st.st_size, &off, &len);
	buf = malloc(st.st_size);
	if (!buf || pread(fd, buf, st.st_size, 0) != st.st_size) {
		say("FAIL: pread %s: %s", path, strerror(errno));
		return 1;
	}
	close(fd);
	/* -n: the stream's first N blocks; the rest may have been in flight. */
	if (stream_blocks)
		len = stream_blocks * 4096 < len ? stream_blocks * 4096 : len;
	for (i = 0; i < (uint64_t)st.st_size; i++) {
		int want = i >= off && i < off + len ? byte : 0;

		if (buf[i] != want && !(stream_blocks && !want && buf[i] == byte) &&
		    !bad++)
			first = i;
	}
	if (bad) {
		say("FAIL: %s: %llu bytes differ, the first at %llu: 0x%02x, expected 0x%02x (0x%02x over [%llu, %llu), zeroes elsewhere)",
		    path, (unsigned long long)bad, (unsigned long long)first,
		    buf[first], first >= off && first < off + len ? byte : 0,
		    byte, (unsigned long long)off,
		    (unsigned long long)(off + len));
		free(buf);
		return 1;
	}
	say("OK: %s holds 0x%02x over [%llu, %llu) and zeroes elsewhere (%lld bytes read back with pread)",
	    path, byte, (unsigned long long)off, (unsigned long long)(off + len),
	    (long long)st.st_size);
	free(buf);
	return 0;
}

/* FILE: SIZE bytes, fallocated (or written with zeroes), synced. */
static int create_file(const char *path, size_t size, bool zero)
{
	char *dir = strdup(path);
	int fd, dfd, err;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		say("FAIL: create %s: %s", path, strerror(errno));
		return -1;
	}
	if (zero) {
		char *buf = calloc(1, size);

		err = buf && pwrite(fd, buf, size, 0) == (ssize_t)size ? 0 : errno;
		free(buf);
	} else {
		err = posix_fallocate(fd, 0, size);
	}
	if (err || fsync(fd)) {
		say("FAIL: %s %s: %s", zero ? "write" : "posix_fallocate",
		    path, strerror(err ?: errno));
		close(fd);
		return -1;
	}
	/* The new name outlives a power cut, too. */
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	say("%s: %zu bytes, %s and synced", path, size,
	    zero ? "written with zeroes" : "posix_fallocate()d");
	return fd;
}

/*
 * Why did rpma_mr_reg() fail?  librpma hides ibv_reg_mr()'s errno (and
 * retries EOPNOTSUPP with ODP where the device has it): ask the kernel
 * again, with a PD of our own.
 */
static int reg_mr_errno(struct ibv_context *ctx, void *ptr, size_t size)
{
	struct ibv_pd *pd = ibv_alloc_pd(ctx);
	struct ibv_mr *mr;
	int err;

	if (!pd)
		return errno;
	errno = 0;
	mr = ibv_reg_mr(pd, ptr, size, PROBE_ACCESS);
	err = mr ? 0 : errno;
	if (mr)
		ibv_dereg_mr(mr);
	ibv_dealloc_pd(pd);
	return err;
}

static const char *granularity(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "byte";
	case PMEM2_GRANULARITY_CACHE_LINE: return "cache line (MAP_SYNC)";
	case PMEM2_GRANULARITY_PAGE: return "page (no MAP_SYNC)";
	}
	return "?";
}

static int serve(const char *path, int byte, size_t size, bool zero)
{
	struct rpma_conn_private_data pdata;
	struct pmem2_source *src = NULL;
	struct pmem2_config *cfg = NULL;
	struct rpma_conn_req *req = NULL;
	struct rpma_mr_local *mr = NULL;
	struct rpma_conn *conn = NULL;
	struct rpma_peer *peer = NULL;
	struct pmem2_map *map = NULL;
	struct rpma_ep *ep = NULL;
	struct ibv_context *ctx;
	struct rpma_offer offer = { .magic = RPMA_MAGIC };
	size_t desc_size;
	int fd, ret, err, usage;
	void *ptr;

	fd = create_file(path, size, zero);
	if (fd < 0)
		return 1;
	if (pmem2_config_new(&cfg) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_source_from_fd(&src, fd) || pmem2_map_new(&map, cfg, src)) {
		say("FAIL: libpmem2 could not map %s: %s", path, pmem2_errormsg());
		return 1;
	}
	ptr = pmem2_map_get_address(map);
	say("mapped with libpmem2 at %p, store granularity %s", ptr,
	    granularity(pmem2_map_get_store_granularity(map)));

	ret = rpma_utils_get_ibv_context(addr, RPMA_UTIL_IBV_CONTEXT_LOCAL, &ctx);
	if (ret)
		return fail("rpma_utils_get_ibv_context", ret);
	ret = rpma_peer_new(ctx, &peer);
	if (ret)
		return fail("rpma_peer_new", ret);

	usage = RPMA_MR_USAGE_WRITE_DST | RPMA_MR_USAGE_READ_SRC |
		RPMA_MR_USAGE_FLUSH_TYPE_VISIBILITY;
	ret = rpma_mr_reg(peer, ptr, size, usage, &mr);
	if (ret) {
		err = reg_mr_errno(ctx, ptr, size);
		if (err == EOPNOTSUPP) {
			say("REFUSED: rpma_mr_reg: %s; ibv_reg_mr on %s says EOPNOTSUPP: the kernel cannot pin fsdax memory long-term, and %s has no ODP to retry with",
			    rpma_err_2str(ret), ibv_get_device_name(ctx->device),
			    ibv_get_device_name(ctx->device));
			return EXIT_REFUSED;
		}
		say("FAIL: rpma_mr_reg: %s (ibv_reg_mr on its own: %s)",
		    rpma_err_2str(ret), err ? strerror(err) : "registers");
		return 1;
	}
	say("rpma_mr_reg: %zu bytes of %s registered (WRITE_DST|READ_SRC|FLUSH_TYPE_VISIBILITY)",
	    size, path);
	/* A long-term pin freezes the file's block map. */
	if (ftruncate(fd, size) == 0 || errno != ETXTBSY) {
		say("FAIL: truncate of the registered file: %s, expected ETXTBSY",
		    strerror(errno));
		return 1;
	}
	say("truncate of %s while registered: ETXTBSY (its block map is frozen)",
	    path);
	close(fd);

	/* librpma's advice for fsdax memory: fault the range in for writing. */
	ret = rpma_mr_advise(mr, 0, size, IBV_ADVISE_MR_ADVICE_PREFETCH_WRITE,
			     IBV_ADVISE_MR_FLAG_FLUSH);
	if (ret == RPMA_E_NOSUPP)
		say("rpma_mr_advise(PREFETCH_WRITE, FLUSH): not supported by the %s provider (continuing)",
		    ibv_get_device_name(ctx->device));
	else if (ret)
		return fail("rpma_mr_advise(PREFETCH_WRITE, FLUSH)", ret);
	else
		say("rpma_mr_advise(PREFETCH_WRITE, FLUSH): done");

	rpma_range(size, &offer.offset, &offer.len);
	ret = rpma_mr_get_descriptor_size(mr, &desc_size);
	if (!ret && desc_size > sizeof(offer.desc))
		ret = RPMA_E_NOMEM;
	if (!ret)
		ret = rpma_mr_get_descriptor(mr, offer.desc);
	if (ret)
		return fail("rpma_mr_get_descriptor", ret);
	offer.desc_size = desc_size;

	ret = rpma_ep_listen(peer, addr, port, &ep);
	if (ret)
		return fail("rpma_ep_listen", ret);
	say("listening on %s:%s", addr, port);
	ret = rpma_ep_next_conn_req(ep, NULL, &req);
	if (ret)
		return fail("rpma_ep_next_conn_req", ret);
	pdata.ptr = &offer;
	pdata.len = sizeof(offer);
	ret = rpma_conn_req_connect(&req, &pdata, &conn);
	if (ret)
		return fail("rpma_conn_req_connect", ret);
	if (!next_event_is(conn, RPMA_CONN_ESTABLISHED)) {
		say("FAIL: the connection was not established");
		return 1;
	}
	say("connected; the client writes 0x%02x over [%llu, %llu)", byte,
	    (unsigned long long)offer.offset,
	    (unsigned long long)(offer.offset + offer.len));
	/* The client disconnects when its flush has completed. */
	if (stream) {
		enum rpma_conn_event ev = RPMA_CONN_UNDEFINED;

		ret = rpma_conn_next_event(conn, &ev);
		say("the stream ended: %s; deregistering",
		    ret ? rpma_err_2str(ret) : rpma_utils_conn_event_2str(ev));
	} else if (!next_event_is(conn, RPMA_CONN_CLOSED)) {
		say("FAIL: the connection did not close cleanly");
		return 1;
	}
	rpma_conn_disconnect(conn);
	rpma_conn_delete(&conn);
	rpma_ep_shutdown(&ep);
	ret = rpma_mr_dereg(&mr);
	if (ret)
		return fail("rpma_mr_dereg", ret);
	rpma_peer_delete(&peer);
	pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	if (stream) {
		say("deregistered %s", path);
		return 0;
	}
	return check_file(path, byte);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: rpma_server [-a ADDR] [-p PORT] [-s SIZE] [-z] [-S] serve FILE BYTE\n"
		"       rpma_server [-n BLOCKS] check FILE BYTE\n");
	return 2;
}

int main(int argc, char **argv)
{
	size_t size = 4 << 20;
	bool zero = false;
	int opt, byte;

	while ((opt = getopt(argc, argv, "a:p:s:zSn:")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = optarg; break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'z': zero = true; break;
		case 'S': stream = true; break;
		case 'n': stream_blocks = strtoul(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	if (argc - optind != 3 || (byte = parse_byte(argv[optind + 2])) < 0 ||
	    size < 4096)
		return usage();
	rpma_log_setup();
	if (!strcmp(argv[optind], "serve"))
		return serve(argv[optind + 1], byte, size, zero);
	if (!strcmp(argv[optind], "check"))
		return check_file(argv[optind + 1], byte);
	return usage();
}
