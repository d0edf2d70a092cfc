// SPDX-License-Identifier: GPL-2.0
/*
 * mr_hold DEVICE FILE: register a memory region on a MAP_SHARED read-write
 * mapping of FILE, say so on one line, hold it until standard input closes,
 * then deregister.  The demo drives it; a refusal is printed with its errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verbs.h"

static int fail(const char *what)
{
	printf("%s: %s (errno %d)\n", what, strerror(errno), errno);
	return 1;
}

int main(int argc, char **argv)
{
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	struct stat st;
	char buf[64];
	void *addr;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: %s DEVICE FILE\n", argv[0]);
		return 2;
	}
	ctx = gupl_open_device(argv[1]);
	if (!ctx)
		return fail(argv[1]);
	pd = ibv_alloc_pd(ctx);
	if (!pd)
		return fail("ibv_alloc_pd");
	fd = open(argv[2], O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		return fail(argv[2]);
	addr = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		return fail("mmap");
	mr = ibv_reg_mr(pd, addr, st.st_size, GUPL_MR_ACCESS);
	if (!mr)
		return fail("ibv_reg_mr");
	printf("registered %lld bytes at %p, lkey 0x%x rkey 0x%x\n",
	       (long long)st.st_size, addr, mr->lkey, mr->rkey);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	if (ibv_dereg_mr(mr))
		return fail("ibv_dereg_mr");
	printf("deregistered\n");
	munmap(addr, st.st_size);
	close(fd);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
	return 0;
}
