// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark: swapon(2) and swapoff(2) of a prepared swapfile (mkswap done),
 * REPS times each, no swap in use in between.
 *
 *   bench_swap PATH REPS
 *
 * Prints CSV rows "phase,rep,ns" with phase swapon or swapoff.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t t;
	int i, reps;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PATH REPS\n", argv[0]);
		return 1;
	}
	reps = atoi(argv[2]);
	for (i = 0; i < reps; i++) {
		t = now_ns();
		if (syscall(SYS_swapon, argv[1], 0)) {
			fprintf(stderr, "bench_swap: swapon %s: %s\n", argv[1],
				strerror(errno));
			return 1;
		}
		printf("swapon,%d,%llu\n", i, (unsigned long long)(now_ns() - t));
		t = now_ns();
		if (syscall(SYS_swapoff, argv[1])) {
			fprintf(stderr, "bench_swap: swapoff %s: %s\n", argv[1],
				strerror(errno));
			return 1;
		}
		printf("swapoff,%d,%llu\n", i, (unsigned long long)(now_ns() - t));
	}
	return 0;
}
