// SPDX-License-Identifier: GPL-2.0
/*
 * swapon through the raw syscall on non-DAX XFS and ext4 swapfiles: which
 * errno, and which kernel log lines ("Adding ... extents:N across:...",
 * "swapon: file ... <reason>").  The refusals are checked exactly; every
 * outcome is also appended to $SWAPON_TRANSCRIPT, so that runs on two
 * kernels can be compared byte for byte (make swap-ab).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define XFS_MAGIC	0x58465342
#define EXT4_MAGIC	0xef53
#define SWAP_SIZE	(16UL << 20)

/* The kernel log lines logged since @fd was opened, joined by '\n'. */
static void read_kmsg(int fd, char *out, size_t len)
{
	char rec[1024], *msg, *nl;
	ssize_t n;

	out[0] = '\0';
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0) {
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(msg, "swapon", 6) && strncmp(msg, "Adding ", 7))
			continue;
		strncat(out, msg, len - strlen(out) - 2);
		strcat(out, "\n");
	}
}

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* A swap header for a file of @size bytes, in page 0 of @fd. */
static int write_header(int fd, size_t size)
{
	long psz = sysconf(_SC_PAGESIZE);
	char *page = calloc(1, psz);
	unsigned int *info = (unsigned int *)(page + 1024);
	int ret;

	if (!page)
		return -1;
	info[0] = 1;			/* version */
	info[1] = size / psz - 1;	/* last_page */
	memcpy(page + psz - 10, "SWAPSPACE2", 10);
	ret = pwrite(fd, page, psz, 0) == psz ? 0 : -1;
	free(page);
	return ret;
}

static int write_all(int fd, size_t size)
{
	char buf[65536];
	size_t off;

	memset(buf, 0xa5, sizeof(buf));
	for (off = 0; off < size; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			return -1;
	return 0;
}

FIXTURE(swapon) {
	char path[256];
	char clone[256];
	char log[4096];
	int fd;
	int kmsg;
};

FIXTURE_VARIANT(swapon) {
	const char *mnt;
	long magic;
	bool reflink;
};

FIXTURE_VARIANT_ADD(swapon, xfs) {
	.mnt = "/mnt/xfs-nodax",
	.magic = XFS_MAGIC,
	.reflink = true,
};

FIXTURE_VARIANT_ADD(swapon, ext4) {
	.mnt = "/mnt/ext4-nodax",
	.magic = EXT4_MAGIC,
};

FIXTURE_SETUP(swapon)
{
	struct statfs sfs;

	self->fd = -1;
	self->kmsg = -1;
	if (statfs(variant->mnt, &sfs) || sfs.f_type != variant->magic)
		SKIP(return, "%s is not mounted", variant->mnt);
	snprintf(self->path, sizeof(self->path), "%s/swapfile", variant->mnt);
	snprintf(self->clone, sizeof(self->clone), "%s/swapfile.clone", variant->mnt);
	unlink(self->path);
	unlink(self->clone);
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->fd);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(swapon)
{
	if (self->fd >= 0) {
		swapoff(self->path);
		close(self->fd);
		unlink(self->path);
		unlink(self->clone);
	}
	if (self->kmsg >= 0)
		close(self->kmsg);
}

/* swapon(2) @self->path; log and transcribe what happened; return errno. */
static int do_swapon(struct __test_metadata *_metadata,
		     FIXTURE_DATA(swapon) *self, const char *name)
{
	const char *file = getenv("SWAPON_TRANSCRIPT");
	int err = 0;
	FILE *t;

	ASSERT_EQ(0, fsync(self->fd));
	/* Keep the log to this call: drop what the setup made it say. */
	read_kmsg(self->kmsg, self->log, sizeof(self->log));
	if (syscall(SYS_swapon, self->path, 0))
		err = errno;
	read_kmsg(self->kmsg, self->log, sizeof(self->log));
	TH_LOG("%s: %s; kernel: %s", name, err ? strerror(err) : "ok", self->log);
	t = file ? fopen(file, "a") : NULL;
	if (t) {
		fprintf(t, "== %s %s: errno %d\n%s", name, self->path, err, self->log);
		fclose(t);
	}
	return err;
}

static bool logged(const char *log, const char *path, const char *reason)
{
	char want[512];

	snprintf(want, sizeof(want), "swapon: file %s %s\n", path, reason);
	return !strcmp(log, want);
}

TEST_F(swapon, written)
{
	char want[512];

	ASSERT_EQ(0, write_all(self->fd, SWAP_SIZE));
	ASSERT_EQ(0, write_header(self->fd, SWAP_SIZE));
	ASSERT_EQ(0, do_swapon(_metadata, self, "written"));
	snprintf(want, sizeof(want), "Adding %luk swap on %s.  Priority:",
		 SWAP_SIZE / 1024 - 4, self->path);
	ASSERT_EQ(0, strncmp(self->log, want, strlen(want))) TH_LOG("want %s", want);
	ASSERT_NE(NULL, strstr(self->log, " extents:"));
	ASSERT_EQ(0, swapoff(self->path));
}

/* Swap accepts unwritten extents: it never reads what it did not write. */
TEST_F(swapon, fallocated)
{
	ASSERT_EQ(0, fallocate(self->fd, 0, 0, SWAP_SIZE));
	ASSERT_EQ(0, write_header(self->fd, SWAP_SIZE));
	ASSERT_EQ(0, do_swapon(_metadata, self, "fallocated"));
	ASSERT_EQ(0, strncmp(self->log, "Adding ", 7));
	ASSERT_EQ(0, swapoff(self->path));
}

TEST_F(swapon, hole)
{
	ASSERT_EQ(0, write_header(self->fd, SWAP_SIZE));
	ASSERT_EQ(0, ftruncate(self->fd, SWAP_SIZE));
	ASSERT_EQ(EINVAL, do_swapon(_metadata, self, "hole"));
	ASSERT_TRUE(logged(self->log, self->path, "has unallocated extents"));
}

TEST_F(swapon, shared)
{
	int cfd;

	if (!variant->reflink)
		SKIP(return, "%s has no reflink", variant->mnt);
	ASSERT_EQ(0, write_all(self->fd, SWAP_SIZE));
	ASSERT_EQ(0, write_header(self->fd, SWAP_SIZE));
	cfd = open(self->clone, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, ioctl(cfd, FICLONE, self->fd));
	close(cfd);
	ASSERT_EQ(EINVAL, do_swapon(_metadata, self, "shared"));
	ASSERT_TRUE(logged(self->log, self->path, "has shared extents"));
}

TEST_HARNESS_MAIN
