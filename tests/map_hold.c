// SPDX-License-Identifier: GPL-2.0
/*
 * map_hold [-s] FILE: map FILE MAP_SHARED read-write, touch every page, say
 * so on one line; then for every line of standard input read the first
 * byte again and print it, until standard input closes.  No pin is taken:
 * the unbind test uses it as a process that merely has an fsdax file
 * mapped.  A read of a mapping whose device went away dies of SIGBUS.
 * With -s, vmsplice() the first page into a pipe instead and unmap the
 * file: the pipe keeps a reference to the page.  When standard input
 * closes, read the page back from the pipe and print its first byte.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int hold_spliced(volatile unsigned char *p, off_t size)
{
	struct iovec iov = { .iov_base = (void *)p, .iov_len = 4096 };
	unsigned char byte;
	char line[64];
	int pfd[2];

	if (pipe(pfd) || vmsplice(pfd[1], &iov, 1, 0) != 4096) {
		perror("vmsplice");
		return 1;
	}
	munmap((void *)p, size);
	printf("spliced 4096 bytes into a pipe, file unmapped\n");
	while (fgets(line, sizeof(line), stdin))
		;
	if (read(pfd[0], &byte, 1) != 1) {
		perror("read pipe");
		return 1;
	}
	printf("pipe first byte 0x%02x\n", byte);
	return 0;
}

int main(int argc, char **argv)
{
	volatile unsigned char *p;
	unsigned long sum = 0;
	char line[64];
	int fd, splice;
	struct stat st;
	off_t off;

	setvbuf(stdout, NULL, _IOLBF, 0);
	splice = argc == 3 && !strcmp(argv[1], "-s");
	if (argc != 2 + splice) {
		fprintf(stderr, "usage: %s [-s] FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1 + splice], O_RDWR);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1 + splice]);
		return 1;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (off = 0; off < st.st_size; off += 4096)
		sum += p[off];
	printf("mapped %lld bytes, byte sum %lu\n", (long long)st.st_size, sum);
	if (splice)
		return hold_spliced(p, st.st_size);
	while (fgets(line, sizeof(line), stdin))
		printf("first byte 0x%02x\n", p[0]);
	return 0;
}
