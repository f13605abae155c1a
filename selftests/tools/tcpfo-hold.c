// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo-hold: many idle TCP connections, for tests that need a large flow
 * table.
 *
 *   tcpfo-hold server ADDR PORT       accept forever, discard what arrives
 *   tcpfo-hold client ADDR PORT N     open N connections (at most 256
 *                                     connecting at once), print
 *                                     "connected N", hold them until
 *                                     SIGTERM/SIGINT, then close them
 * Exit 0 on success, 1 on failure (a connection refused or reset).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_addr(const char *a, const char *p, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	int port = atoi(p);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return AF_INET6;
	}
	return -1;
}

static void raise_nofile(long want)
{
	struct rlimit r = { want, want };

	if (setrlimit(RLIMIT_NOFILE, &r))
		perror("tcpfo-hold: setrlimit");
}

static int server(int family, struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, ep, lfd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	char buf[4096];

	raise_nofile(200000);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)ss, len) || listen(lfd, 4096)) {
		perror("tcpfo-hold: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	while (!stop) {
		int i, n = epoll_wait(ep, evs, 64, 1000);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			if (read(fd, buf, sizeof(buf)) <= 0 && errno != EAGAIN)
				close(fd);
		}
	}
	return 0;
}

static int client(int family, struct sockaddr_storage *ss, socklen_t len, int n)
{
	int *fds = calloc(n, sizeof(int)), ep = epoll_create1(0);
	int started = 0, connected = 0, pending = 0, i;
	struct epoll_event ev, evs[256];

	raise_nofile(n + 100);
	while (connected < n) {
		while (started < n && pending < 256) {
			int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);

			if (fd < 0) {
				perror("tcpfo-hold: socket");
				return 1;
			}
			if (connect(fd, (struct sockaddr *)ss, len) && errno != EINPROGRESS) {
				perror("tcpfo-hold: connect");
				return 1;
			}
			fds[started++] = fd;
			ev.events = EPOLLOUT;
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			pending++;
		}
		int m = epoll_wait(ep, evs, 256, 60000);

		if (m <= 0) {
			fprintf(stderr, "tcpfo-hold: connects stalled at %d\n", connected);
			return 1;
		}
		for (i = 0; i < m; i++) {
			int err = 0;
			socklen_t el = sizeof(err);

			getsockopt(evs[i].data.fd, SOL_SOCKET, SO_ERROR, &err, &el);
			if (err) {
				fprintf(stderr, "tcpfo-hold: connect: %s\n", strerror(err));
				return 1;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
			pending--;
			connected++;
		}
	}
	printf("connected %d\n", connected);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family;

	if (argc < 4 || (family = parse_addr(argv[2], argv[3], &ss, &len)) < 0) {
		fprintf(stderr, "usage: tcpfo-hold server ADDR PORT | client ADDR PORT N\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "server"))
		return server(family, &ss, len);
	if (!strcmp(argv[1], "client") && argc == 5)
		return client(family, &ss, len, atoi(argv[4]));
	fprintf(stderr, "usage: tcpfo-hold server ADDR PORT | client ADDR PORT N\n");
	return 2;
}
