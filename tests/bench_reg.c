// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: the cost of a long-term pin of SIZE bytes of one kind of
 * memory, through ibv_reg_mr() on an RDMA device ("verbs") or through the
 * gup_test debugfs file without RDMA ("gup_test").
 *
 *   bench_reg verbs|gup_test BACKING SIZE REPS [PATH]
 *
 * BACKING: anon (populated, MADV_NOHUGEPAGE), thp (anon, MADV_HUGEPAGE), shmem, pagecache
 * (a file on a non-DAX filesystem: read-only pin), devdax (PATH is
 * /dev/daxX.Y), fsdax or fsdax-NAME (PATH is a written file on an fsdax
 * mount, at least SIZE bytes).  Mappings are 2 MiB aligned and populated before timing.
 *
 * Prints CSV rows "via,backing,size,phase,rep,ns": phase "first" is the
 * first pin of the mapping, "repeat" each of REPS further pin+release
 * cycles (the pin alone is timed), "release" the release of each.  The
 * gup_test pins go through gup_longterm() where the kernel has it (as
 * ib_umem_get() then does) and through pin_user_pages_fast() otherwise.
 * Exits 2 when the kernel refuses the pin (EOPNOTSUPP, EINVAL): the row
 * "via,backing,size,refused,0,ERRNO" says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "verbs.h"

#define ALIGN_2M		(2UL << 20)
#define GUP_TEST_FILE		"/sys/kernel/debug/gup_test"
#define PIN_LONGTERM_TEST_START	_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP	_IO('g', 8)
#define PIN_WRITE		1
#define PIN_FAST		2
#define PIN_GUP_LONGTERM	4

struct pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

static const char *via, *backing;
static size_t size;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void row(const char *phase, int rep, uint64_t ns)
{
	printf("%s,%s,%zu,%s,%d,%llu\n", via, backing, size, phase, rep,
	       (unsigned long long)ns);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_reg: %s %s %zu: %s: %s\n", via, backing, size,
		what, strerror(errno));
	exit(1);
}

/* A 2 MiB aligned mapping of @len bytes of @fd (or anonymous if -1). */
static char *map_aligned(size_t len, int prot, int flags, int fd)
{
	size_t span = len + ALIGN_2M;
	char *p, *want;

	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	want = (char *)(((uintptr_t)p + ALIGN_2M - 1) & ~(ALIGN_2M - 1));
	munmap(p, span);
	return mmap(want, len, prot, flags | MAP_FIXED, fd, 0);
}

/* Map and populate SIZE bytes of BACKING; *writable says how to pin. */
static char *map_backing(const char *path, bool *writable)
{
	int prot = PROT_READ | PROT_WRITE, fd = -1, flags = MAP_SHARED;
	size_t len = (size + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
	char *p;

	*writable = true;
	if (!strcmp(backing, "anon") || !strcmp(backing, "thp")) {
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
	} else if (!strcmp(backing, "shmem")) {
		flags = MAP_SHARED | MAP_ANONYMOUS;
	} else if (!strcmp(backing, "pagecache")) {
		*writable = false;
		prot = PROT_READ;
		fd = open(path, O_RDONLY);
	} else if (!strcmp(backing, "devdax") || !strncmp(backing, "fsdax", 5)) {
		fd = open(path, O_RDWR);
	} else {
		errno = EINVAL;
		die("unknown backing");
	}
	if (!(flags & MAP_ANONYMOUS) && fd < 0)
		die(path ? path : "no PATH");
	p = map_aligned(len, prot, flags, fd);
	if (p == MAP_FAILED)
		die("mmap");
	/* anon means 4 KiB pages, whatever the THP policy; thp asks for them. */
	if (!strcmp(backing, "anon") && madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	if (!strcmp(backing, "thp") && madvise(p, len, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	if (madvise(p, size, *writable ? MADV_POPULATE_WRITE : MADV_POPULATE_READ))
		die("madvise(MADV_POPULATE)");
	if (fd >= 0)
		close(fd);
	return p;
}

/* One way of pinning: pin() returns 0 or an errno, release() undoes it. */
struct pinner {
	int (*pin)(struct pinner *pn, char *p, bool writable);
	void (*release)(struct pinner *pn);
	struct ibv_pd *pd;
	struct ibv_mr *mr;
	int gup_fd;
	unsigned int gup_flags;
};

static int verbs_pin(struct pinner *pn, char *p, bool writable)
{
	int access = writable ? GUPL_MR_ACCESS : IBV_ACCESS_REMOTE_READ;

	errno = 0;
	pn->mr = ibv_reg_mr(pn->pd, p, size, access);
	return pn->mr ? 0 : (errno ?: EIO);
}

static void verbs_release(struct pinner *pn)
{
	if (ibv_dereg_mr(pn->mr))
		die("ibv_dereg_mr");
}

static int gup_pin(struct pinner *pn, char *p, bool writable)
{
	struct pin_longterm_test args = {
		.addr = (uintptr_t)p,
		.size = size,
		.flags = pn->gup_flags | (writable ? PIN_WRITE : 0),
	};

	return ioctl(pn->gup_fd, PIN_LONGTERM_TEST_START, &args) ? errno : 0;
}

static void gup_release(struct pinner *pn)
{
	if (ioctl(pn->gup_fd, PIN_LONGTERM_TEST_STOP))
		die("PIN_LONGTERM_TEST_STOP");
}

/* gup_longterm() if this kernel's gup_test has it, else the fast path. */
static unsigned int gup_test_flags(int gup_fd)
{
	struct pin_longterm_test args = { .size = 4096, .flags = PIN_GUP_LONGTERM };
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	unsigned int flags = PIN_FAST;

	if (p == MAP_FAILED)
		die("mmap");
	args.addr = (uintptr_t)p;
	if (!ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args)) {
		flags = PIN_GUP_LONGTERM;
		ioctl(gup_fd, PIN_LONGTERM_TEST_STOP);
	}
	munmap(p, 4096);
	return flags;
}

static void setup_pinner(struct pinner *pn)
{
	struct ibv_context *ctx;

	if (!strcmp(via, "verbs")) {
		ctx = gupl_open_device(getenv("GUPL_RDMA_DEV") ?: "rxe0");
		if (!ctx)
			die("ibv_open_device");
		pn->pd = ibv_alloc_pd(ctx);
		if (!pn->pd)
			die("ibv_alloc_pd");
		pn->pin = verbs_pin;
		pn->release = verbs_release;
	} else if (!strcmp(via, "gup_test")) {
		pn->gup_fd = open(GUP_TEST_FILE, O_RDWR);
		if (pn->gup_fd < 0)
			die(GUP_TEST_FILE);
		pn->gup_flags = gup_test_flags(pn->gup_fd);
		pn->pin = gup_pin;
		pn->release = gup_release;
	} else {
		errno = EINVAL;
		die("unknown way to pin");
	}
}

int main(int argc, char **argv)
{
	struct pinner pn = { 0 };
	bool writable;
	uint64_t t;
	int reps, i, err;
	char *p;

	if (argc < 5) {
		fprintf(stderr, "usage: %s verbs|gup_test BACKING SIZE REPS [PATH]\n",
			argv[0]);
		return 1;
	}
	via = argv[1];
	backing = argv[2];
	size = strtoull(argv[3], NULL, 0);
	reps = atoi(argv[4]);
	setup_pinner(&pn);
	p = map_backing(argc > 5 ? argv[5] : NULL, &writable);

	for (i = 0; i <= reps; i++) {
		t = now_ns();
		err = pn.pin(&pn, p, writable);
		t = now_ns() - t;
		if (err) {
			row("refused", 0, err);
			return err == EOPNOTSUPP || err == EINVAL ? 2 : 1;
		}
		row(i ? "repeat" : "first", i, t);
		t = now_ns();
		pn.release(&pn);
		row("release", i, now_ns() - t);
	}
	return 0;
}
