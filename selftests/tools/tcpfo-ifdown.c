// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo-ifdown: take links down and say exactly when.
 *
 *   tcpfo-ifdown IFNAME...
 *
 * Sets each named link of the current network namespace down, in order,
 * and prints one line: the wall-clock time (seconds, like tcpdump -tt)
 * just before the first link went down and just after the last one did.
 * The benches time a fault with it: under emulation, starting `ip` and
 * `date` around the cut takes tens to hundreds of milliseconds, which
 * would count as detection.
 * Exit 0 on success, 1 on a failure (named in a message).
 */
#define _GNU_SOURCE
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct ifreq ifr[16];
	double before, after;
	int fd, i, n = argc - 1;

	if (n < 1 || n > 16) {
		fprintf(stderr, "usage: tcpfo-ifdown IFNAME... (1 to 16 links)\n");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("tcpfo-ifdown: socket");
		return 1;
	}
	/* Read every link's flags first: the cut itself is only the sets. */
	for (i = 0; i < n; i++) {
		memset(&ifr[i], 0, sizeof(ifr[i]));
		if (strlen(argv[i + 1]) >= IFNAMSIZ) {
			fprintf(stderr, "tcpfo-ifdown: %s: name too long\n", argv[i + 1]);
			return 1;
		}
		strcpy(ifr[i].ifr_name, argv[i + 1]);
		if (ioctl(fd, SIOCGIFFLAGS, &ifr[i]) < 0) {
			fprintf(stderr, "tcpfo-ifdown: %s: %m\n", argv[i + 1]);
			return 1;
		}
		ifr[i].ifr_flags &= ~IFF_UP;
	}
	before = wall();
	for (i = 0; i < n; i++) {
		if (ioctl(fd, SIOCSIFFLAGS, &ifr[i]) < 0) {
			fprintf(stderr, "tcpfo-ifdown: %s down: %m\n", argv[i + 1]);
			return 1;
		}
	}
	after = wall();
	printf("%.6f %.6f\n", before, after);
	close(fd);
	return 0;
}
