// SPDX-License-Identifier: GPL-2.0
/*
 * One pinner of the soak (scripts/guest/job-soak.sh): for SECONDS, pin
 * random ranges of the files given, writable or read-only, hold each a few
 * milliseconds and release it, through gup_test's gup_longterm() mode or
 * through ibv_reg_mr() on rxe0.  Every 16th pin is taken by a child that
 * exits holding it, so that the exit releases it.  The files change size
 * and shape under it (the soak's changers): every errno the documentation
 * allows for that is counted, any other is a failure.
 *
 *   soak_pin gup|verbs SECONDS SEED FILE...
 *
 * Prints one line of counts at the end.  Exit status 0, or 1 after an
 * unexpected errno, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/types.h>

#include "verbs.h"

#define PAGE		4096UL
#define MAX_PAGES	512
#define GUP_TEST_FILE	"/sys/kernel/debug/gup_test"

/* gup_test's ABI (mm/gup_test.h), with the series' gup_longterm() flag. */
#define PIN_LONGTERM_TEST_START	_IOW('g', 7, struct pin_longterm_test)
#define PIN_LONGTERM_TEST_STOP	_IO('g', 8)
#define PIN_LONGTERM_TEST_FLAG_USE_WRITE	1
#define PIN_LONGTERM_TEST_FLAG_USE_GUP_LONGTERM	4

struct pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

enum mode { GUP, VERBS };

static enum mode mode;
static int gup_fd = -1;
static struct ibv_pd *pd;
static unsigned long counts[256], pins, forks;

/* Pin [addr, addr + len): 0 or an errno; *mr is set on success (verbs). */
static int pin(void *addr, size_t len, bool write, struct ibv_mr **mr)
{
	struct pin_longterm_test args = {
		.addr = (unsigned long)addr,
		.size = len,
		.flags = PIN_LONGTERM_TEST_FLAG_USE_GUP_LONGTERM |
			 (write ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0),
	};

	if (mode == GUP)
		return ioctl(gup_fd, PIN_LONGTERM_TEST_START, &args) ? errno : 0;
	errno = 0;
	*mr = ibv_reg_mr(pd, addr, len, write ? GUPL_MR_ACCESS :
						IBV_ACCESS_REMOTE_READ);
	return *mr ? 0 : errno ?: EPROTO;
}

static void unpin(struct ibv_mr *mr)
{
	if (mode == GUP)
		ioctl(gup_fd, PIN_LONGTERM_TEST_STOP);
	else if (mr)
		ibv_dereg_mr(mr);
}

/*
 * What a pin of a file that changes under it may answer.  gup_test has
 * one pin at a time, system-wide: EINVAL also means "busy".  Verbs maps
 * "cannot be pinned in place" to EOPNOTSUPP.  A range that the file's
 * truncate left past EOF gives EFAULT (SIGBUS for the CPU).
 */
static bool allowed(int err)
{
	switch (err) {
	case 0: case EFAULT: case ENOSPC: case EINTR: case ENOMEM:
		return true;
	case EINVAL:
		return mode == GUP;
	case EOPNOTSUPP:
		return mode == VERBS;
	}
	return false;
}

/* One pin of a random range of @path; the errno. */
static int one(const char *path, unsigned int *seed)
{
	struct ibv_mr *mr = NULL;
	bool write = rand_r(seed) & 1;
	size_t pages, off, len;
	struct stat st;
	void *addr;
	int fd, err;

	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)PAGE) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	pages = st.st_size / PAGE;
	off = rand_r(seed) % pages;
	len = 1 + rand_r(seed) % (pages - off < MAX_PAGES ? pages - off : MAX_PAGES);
	addr = mmap(NULL, len * PAGE, write ? PROT_READ | PROT_WRITE : PROT_READ,
		    MAP_SHARED, fd, off * PAGE);
	close(fd);
	if (addr == MAP_FAILED)
		return 0;
	err = pin(addr, len * PAGE, write, &mr);
	if (!err) {
		pins++;
		usleep(rand_r(seed) % 20000);
		unpin(mr);
	}
	munmap(addr, len * PAGE);
	return err;
}

int main(int argc, char **argv)
{
	unsigned int seed;
	time_t end;
	int i, err, bad = 0;
	struct ibv_context *ctx;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 5 || (strcmp(argv[1], "gup") && strcmp(argv[1], "verbs"))) {
		fprintf(stderr, "usage: soak_pin gup|verbs SECONDS SEED FILE...\n");
		return 2;
	}
	mode = strcmp(argv[1], "gup") ? VERBS : GUP;
	end = time(NULL) + atoi(argv[2]);
	seed = atoi(argv[3]);
	if (mode == GUP) {
		gup_fd = open(GUP_TEST_FILE, O_RDWR);
		if (gup_fd < 0) {
			perror(GUP_TEST_FILE);
			return 1;
		}
	} else {
		ctx = gupl_open_device("rxe0");
		pd = ctx ? ibv_alloc_pd(ctx) : NULL;
		if (!pd) {
			perror("rxe0");
			return 1;
		}
	}

	for (i = 0; time(NULL) < end; i++) {
		const char *path = argv[4 + rand_r(&seed) % (argc - 4)];

		if (i % 16 == 15) {
			pid_t pid = fork();

			if (!pid) {
				struct ibv_mr *mr = NULL;
				unsigned int cseed = seed + i;
				struct stat st;
				void *addr;
				int fd = open(path, O_RDWR);

				/* Pin, then exit holding it. */
				if (fd < 0 || fstat(fd, &st) || st.st_size < (off_t)PAGE)
					_exit(0);
				addr = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					    MAP_SHARED, fd, 0);
				if (addr != MAP_FAILED)
					pin(addr, PAGE, rand_r(&cseed) & 1, &mr);
				_exit(0);
			}
			if (pid > 0) {
				waitpid(pid, NULL, 0);
				forks++;
			}
			continue;
		}
		err = one(path, &seed);
		counts[err & 0xff]++;
		if (!allowed(err) && bad++ < 10)
			printf("soak_pin %s: unexpected errno %d (%s) pinning %s\n",
			       argv[1], err, strerror(err), path);
	}

	printf("soak_pin %s: %lu pins, %lu forked pins", argv[1], pins, forks);
	for (i = 1; i < 256; i++)
		if (counts[i])
			printf(", %lu %s", counts[i], strerrorname_np(i) ?: "?");
	printf("%s\n", bad ? ", UNEXPECTED ERRNOS" : "");
	return bad ? 1 : 0;
}
