// SPDX-License-Identifier: GPL-2.0
/*
 * map_hold FILE: map FILE MAP_SHARED read-write, touch every page, say so
 * on one line; then for every line of standard input read the first byte
 * again and print it, until standard input closes.  No pin is taken: the
 * unbind test uses it as a process that merely has an fsdax file mapped.
 * A read of a mapping whose device went away dies of SIGBUS.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	volatile unsigned char *p;
	unsigned long sum = 0;
	char line[64];
	struct stat st;
	off_t off;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
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
	while (fgets(line, sizeof(line), stdin))
		printf("first byte 0x%02x\n", p[0]);
	return 0;
}
