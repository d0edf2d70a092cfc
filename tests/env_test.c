// SPDX-License-Identifier: GPL-2.0
/*
 * The harness's own guest tests: is the environment what the series'
 * selftests assume (fsdax XFS and ext4, an ACTIVE rxe port), and does
 * ibv_reg_mr() on an fsdax file behave as this kernel's source says it
 * must?  GUPL_EXPECT is "base" (refused with EOPNOTSUPP, the 6.12
 * behaviour) or "series" (registered); the host derives it from the tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "verbs.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif
#define XFS_MAGIC	0x58465342
#define EXT4_MAGIC	0xef53
#define RXE_DEV		"rxe0"
#define FILE_SIZE	(4UL << 20)

static const char *expectation(void)
{
	const char *e = getenv("GUPL_EXPECT");

	return e ? e : "unset";
}

TEST(rxe_port_active)
{
	char state[64] = "";
	FILE *f;

	f = fopen("/sys/class/infiniband/" RXE_DEV "/ports/1/state", "r");
	if (!f)
		SKIP(return, "no " RXE_DEV);
	ASSERT_NE(NULL, fgets(state, sizeof(state), f));
	fclose(f);
	ASSERT_NE(NULL, strstr(state, "ACTIVE")) TH_LOG("state: %s", state);
}

/* Positive control: anonymous memory registers on every kernel. */
TEST(anon_reg_mr)
{
	struct ibv_context *ctx = gupl_open_device(RXE_DEV);
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	void *buf;

	if (!ctx)
		SKIP(return, "no " RXE_DEV);
	pd = ibv_alloc_pd(ctx);
	ASSERT_NE(NULL, pd);
	buf = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	mr = ibv_reg_mr(pd, buf, FILE_SIZE, GUPL_MR_ACCESS);
	ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	munmap(buf, FILE_SIZE);
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

FIXTURE(fsdax) {
	char path[PATH_MAX];
	int fd;
	void *map;
};

FIXTURE_VARIANT(fsdax) {
	const char *mnt;
	long magic;
};

FIXTURE_VARIANT_ADD(fsdax, xfs) {
	.mnt = "/mnt/xfs",
	.magic = XFS_MAGIC,
};

FIXTURE_VARIANT_ADD(fsdax, ext4) {
	.mnt = "/mnt/ext4",
	.magic = EXT4_MAGIC,
};

FIXTURE_SETUP(fsdax)
{
	struct statfs sfs;
	char *buf;

	self->fd = -1;
	self->map = MAP_FAILED;
	if (statfs(variant->mnt, &sfs) || sfs.f_type != variant->magic)
		SKIP(return, "%s is not mounted", variant->mnt);
	snprintf(self->path, sizeof(self->path), "%s/env_test.%d",
		 variant->mnt, getpid());
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->fd);
	buf = malloc(FILE_SIZE);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x5a, FILE_SIZE);
	ASSERT_EQ(FILE_SIZE, pwrite(self->fd, buf, FILE_SIZE, 0));
	free(buf);
	ASSERT_EQ(0, fsync(self->fd));
	self->map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
}

FIXTURE_TEARDOWN(fsdax)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, FILE_SIZE);
	if (self->fd >= 0) {
		close(self->fd);
		unlink(self->path);
	}
}

TEST_F(fsdax, file_is_dax)
{
	struct statx stx;

	ASSERT_EQ(0, statx(self->fd, "", AT_EMPTY_PATH, 0, &stx));
	ASSERT_TRUE(stx.stx_attributes_mask & STATX_ATTR_DAX);
	ASSERT_TRUE(stx.stx_attributes & STATX_ATTR_DAX);
}

TEST_F(fsdax, reg_mr)
{
	struct ibv_context *ctx = gupl_open_device(RXE_DEV);
	const char *expect = expectation();
	struct ibv_pd *pd;
	struct ibv_mr *mr;

	if (!ctx)
		SKIP(return, "no " RXE_DEV);
	pd = ibv_alloc_pd(ctx);
	ASSERT_NE(NULL, pd);
	errno = 0;
	mr = ibv_reg_mr(pd, self->map, FILE_SIZE, GUPL_MR_ACCESS);
	if (!strcmp(expect, "base")) {
		ASSERT_EQ(NULL, mr);
		ASSERT_EQ(EOPNOTSUPP, errno) TH_LOG("errno %d (%s)", errno, strerror(errno));
	} else if (!strcmp(expect, "series")) {
		ASSERT_NE(NULL, mr) TH_LOG("ibv_reg_mr: %s", strerror(errno));
		ASSERT_EQ(0, ibv_dereg_mr(mr));
	} else {
		ASSERT_TRUE(0) TH_LOG("GUPL_EXPECT is %s, not base or series", expect);
	}
	ibv_dealloc_pd(pd);
	ibv_close_device(ctx);
}

TEST_HARNESS_MAIN
