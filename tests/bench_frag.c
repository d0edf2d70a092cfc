// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark helper: write a file of SIZE bytes made of about EXTENTS
 * extents, and print the number of extents FIEMAP finds in it.
 *
 *   bench_frag PATH FILLER SIZE EXTENTS
 *
 * With EXTENTS > 1, FILLER first takes all the free space of the
 * filesystem, then holes of SIZE / EXTENTS bytes are punched in it, each
 * after 4 KiB that stay, so that the free space is only those holes and
 * PATH has to be allocated in them.  The caller deletes FILLER afterwards.
 * Works the same with and without delayed allocation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#define BUF_SIZE	(2UL << 20)
#define KEEP		4096UL

static char *buf;

static void die(const char *what)
{
	fprintf(stderr, "bench_frag: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Write @len bytes at @off, or until the filesystem is full if @len is 0. */
static off_t fill(int fd, off_t off, size_t len)
{
	size_t piece = BUF_SIZE, n;
	ssize_t done;

	for (;;) {
		n = len ? (len < piece ? len : piece) : piece;
		if (len && !n)
			break;
		done = pwrite(fd, buf, n, off);
		if (done < 0 && errno == ENOSPC && !len && piece > 4096) {
			piece = 4096;
			continue;
		}
		if (done < 0 && errno == ENOSPC && !len)
			break;
		if (done <= 0)
			die("pwrite");
		off += done;
		if (len)
			len -= done;
	}
	if (fsync(fd))
		die("fsync");
	return off;
}

static unsigned int extents(int fd)
{
	struct fiemap fm = { .fm_length = FIEMAP_MAX_OFFSET,
			     .fm_flags = FIEMAP_FLAG_SYNC };

	if (ioctl(fd, FS_IOC_FIEMAP, &fm))
		die("FS_IOC_FIEMAP");
	return fm.fm_mapped_extents;
}

/* Fill the filesystem with @filler, then free holes of @chunk bytes. */
static void fragment_free_space(const char *filler, unsigned long n, size_t chunk)
{
	unsigned long holes = n + n / 64 + 16, i;
	off_t end, off;
	int fd;

	fd = open(filler, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(filler);
	end = fill(fd, 0, 0);
	for (i = 0; i < holes; i++) {
		off = i * (chunk + KEEP) + KEEP;
		if (off + (off_t)chunk > end) {
			errno = ENOSPC;
			die("the filesystem is too small for the holes");
		}
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, chunk))
			die("fallocate(PUNCH_HOLE)");
	}
	if (fsync(fd))
		die("fsync");
	close(fd);
}

int main(int argc, char **argv)
{
	unsigned long n;
	size_t size;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: %s PATH FILLER SIZE EXTENTS\n", argv[0]);
		return 1;
	}
	size = strtoull(argv[3], NULL, 0);
	n = strtoul(argv[4], NULL, 0);
	if (!n || size % n || (size / n) % 4096) {
		errno = EINVAL;
		die("SIZE must be EXTENTS chunks of whole pages");
	}
	buf = malloc(BUF_SIZE);
	if (!buf)
		die("malloc");
	memset(buf, 0x5a, BUF_SIZE);
	if (n > 1)
		fragment_free_space(argv[2], n, size / n);
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(argv[1]);
	fill(fd, 0, size);
	printf("%u\n", extents(fd));
	return 0;
}
