// SPDX-License-Identifier: GPL-2.0
/*
 * tcpfo-stream: bidirectional TCP transfer whose payload encodes its own
 * offset, so the receiver detects loss, duplication and reordering exactly
 * (not just "the checksum differs").
 *
 *   tcpfo-stream server ADDR PORT
 *   tcpfo-stream client ADDR PORT [--up BYTES] [--down BYTES]
 *                [--duration SEC] [--seed N] [--bind ADDR] [--quiet]
 *                [--pause-at BYTES]
 *
 * With --duration the client sends until the time is up or it gets SIGUSR1.
 * With --pause-at it sends that many bytes up, then nothing (no FIN either)
 * until it gets SIGUSR2: an idle flow whose client is still alive.
 * With --rr COUNT it instead measures request/response latency: COUNT
 * messages of --rr-size bytes (default 64), each echoed by the server;
 * prints p50 and p99 in microseconds.
 * Exit status 0 only if both directions arrived complete and intact.
 *
 * The client sends a 32-byte request: magic, seed, bytes it will send up
 * (UINT64_MAX = "until my FIN"), bytes it wants down. Both ends then send
 * and verify at once. At the end the server reports how many bytes it
 * received and whether they were intact in an 8+8 byte trailer after the
 * down stream, so the client's exit status covers both directions.
 *
 * Byte k of a direction is byte (k % 8) of the little-endian 64-bit word
 * (k / 8) ^ (seed << 40) ^ (dir << 63).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x7463666fu /* "tcfo" */
#define BUFSZ (256 * 1024)
#define UNTIL_FIN UINT64_MAX

/* SIGUSR1 ends an open-ended (--duration) send phase early, gracefully. */
static volatile sig_atomic_t stop_sending;

static void on_usr1(int sig)
{
	(void)sig;
	stop_sending = 1;
}

/* --pause-at: the upload stops at pause_at until SIGUSR2. */
static uint64_t pause_at = UINT64_MAX;
static volatile sig_atomic_t resumed;

static void on_usr2(int sig)
{
	(void)sig;
	resumed = 1;
}

struct request {
	uint32_t magic;
	uint32_t seed;
	uint64_t up;
	uint64_t down;
	uint64_t rr_size;	/* non-zero: echo messages of this size */
};

struct trailer {
	uint64_t received;
	uint64_t bad_offset; /* UINT64_MAX when intact */
};

static unsigned char pattern_byte(uint64_t k, uint32_t seed, int dir)
{
	uint64_t w = (k >> 3) ^ ((uint64_t)seed << 40) ^ ((uint64_t)dir << 63);

	return (unsigned char)(w >> ((k & 7) * 8));
}

static uint64_t pattern_word(uint64_t k, uint32_t seed, int dir)
{
	return (k >> 3) ^ ((uint64_t)seed << 40) ^ ((uint64_t)dir << 63);
}

/* Word-at-a-time where aligned: the generator must not be the bottleneck
 * of a throughput measurement under TCG. (x86 is little-endian.) */
static void fill(unsigned char *buf, size_t n, uint64_t off, uint32_t seed,
		 int dir)
{
	size_t i = 0;

	for (; i < n && ((off + i) & 7); i++)
		buf[i] = pattern_byte(off + i, seed, dir);
	for (; i + 8 <= n; i += 8) {
		uint64_t w = pattern_word(off + i, seed, dir);

		memcpy(buf + i, &w, 8);
	}
	for (; i < n; i++)
		buf[i] = pattern_byte(off + i, seed, dir);
}

/* Returns index of first mismatch or n. */
static size_t check(const unsigned char *buf, size_t n, uint64_t off,
		    uint32_t seed, int dir)
{
	size_t i = 0;

	for (; i < n && ((off + i) & 7); i++)
		if (buf[i] != pattern_byte(off + i, seed, dir))
			return i;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = pattern_word(off + i, seed, dir);

		if (memcmp(buf + i, &w, 8))
			break;
	}
	for (; i < n; i++)
		if (buf[i] != pattern_byte(off + i, seed, dir))
			return i;
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *host, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);

	if (rc) {
		fprintf(stderr, "tcpfo-stream: bad address %s port %s: %s\n",
			host, port, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int read_full(int fd, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
	size_t put = 0;

	while (put < n) {
		ssize_t r = write(fd, (const char *)p + put, n - put);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		put += r;
	}
	return 0;
}

/*
 * Pump both directions on a connected socket until everything is sent and
 * received. send_total UNTIL_FIN: send until deadline; recv_total
 * UNTIL_FIN: until the peer's FIN. With do_shut, shut down our sending side
 * once done. Returns 0 when everything received matched the pattern.
 */
static int pump(int fd, uint32_t seed, int send_dir, uint64_t send_total,
		double deadline, uint64_t recv_total, int do_shut,
		uint64_t *sent, uint64_t *received, uint64_t *bad)
{
	static unsigned char sbuf[BUFSZ], rbuf[BUFSZ];
	uint64_t s = 0, r = 0;
	int send_done = send_total == 0, recv_done = recv_total == 0;
	int shut = !do_shut;

	*bad = UINT64_MAX;
	*sent = *received = 0;
	while (!send_done || !recv_done || !shut) {
		struct pollfd p = { .fd = fd, .events = 0 };
		int paused = !resumed && s >= pause_at;

		if (send_done && !shut) {
			if (shutdown(fd, SHUT_WR) < 0) {
				perror("tcpfo-stream: shutdown");
				return -1;
			}
			shut = 1;
			continue;
		}
		if (!send_done && !paused)
			p.events |= POLLOUT;
		if (!recv_done)
			p.events |= POLLIN;
		if (poll(&p, 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("tcpfo-stream: poll");
			return -1;
		}
		if (!send_done && send_total == UNTIL_FIN &&
		    (stop_sending || now() >= deadline)) {
			send_done = 1;
			continue;
		}
		if (p.revents & POLLOUT) {
			uint64_t left = send_total - s;
			size_t n = left < BUFSZ ? left : BUFSZ;
			ssize_t w;

			if (!resumed && pause_at > s && pause_at - s < n)
				n = pause_at - s;

			fill(sbuf, n, s, seed, send_dir);
			w = send(fd, sbuf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "tcpfo-stream: send at %llu: %s\n",
					(unsigned long long)s, strerror(errno));
				return -1;
			}
			if (w > 0)
				s += w;
			if (s == send_total)
				send_done = 1;
		}
		if (!recv_done && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			uint64_t left = recv_total - r;
			size_t n = left < BUFSZ ? left : BUFSZ;
			ssize_t got = recv(fd, rbuf, n, MSG_DONTWAIT);

			if (got < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "tcpfo-stream: recv at %llu: %s\n",
					(unsigned long long)r, strerror(errno));
				return -1;
			}
			if (got == 0) {
				if (recv_total != UNTIL_FIN) {
					fprintf(stderr,
						"tcpfo-stream: early EOF at %llu of %llu\n",
						(unsigned long long)r,
						(unsigned long long)recv_total);
					return -1;
				}
				recv_done = 1;
			}
			if (got > 0) {
				size_t i = check(rbuf, got, r, seed, !send_dir);

				if (i != (size_t)got && *bad == UINT64_MAX) {
					*bad = r + i;
					fprintf(stderr,
						"tcpfo-stream: data mismatch at offset %llu\n",
						(unsigned long long)*bad);
				}
				r += got;
				if (r == recv_total)
					recv_done = 1;
			}
		}
		*sent = s;
		*received = r;
	}
	return *bad == UINT64_MAX ? 0 : -1;
}

static void tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Server side of one connection: dir 1 is down (server to client). */
static int serve_one(int fd)
{
	struct request req;
	struct trailer t;
	uint64_t sent, received, bad;
	char c;
	int rc;

	tune(fd);
	if (read_full(fd, &req, sizeof(req)) || req.magic != MAGIC) {
		fprintf(stderr, "tcpfo-stream: bad or missing request\n");
		return 1;
	}
	if (req.rr_size) {
		/* Request/response: echo every message until the client's FIN. */
		static unsigned char msg[65536];
		size_t n = req.rr_size > sizeof(msg) ? sizeof(msg) : req.rr_size;

		while (read_full(fd, msg, n) == 0)
			if (write_full(fd, msg, n))
				return 1;
		close(fd);
		return 0;
	}
	rc = pump(fd, req.seed, 1, req.down, 0, req.up, 0, &sent, &received,
		  &bad);
	if (rc && bad == UINT64_MAX)
		return 1; /* socket error, already reported */
	t.received = received;
	t.bad_offset = bad;
	if (write_full(fd, &t, sizeof(t)) || shutdown(fd, SHUT_WR)) {
		perror("tcpfo-stream: trailer");
		return 1;
	}
	/* Linger until the client closes, so our FIN is not turned into RST. */
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
	return rc ? 1 : 0;
}

static int server(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, lfd;

	if (parse_addr(host, port, &ss, &len))
		return 2;
	lfd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lfd < 0) {
		perror("tcpfo-stream: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 4096)) {
		perror("tcpfo-stream: bind/listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("tcpfo-stream: accept");
			return 1;
		}
		/*
		 * A connection closed for want of a process would reach the
		 * relay as an RST (its request unread): say so, and try again
		 * for a while (a busy VM can run short of memory for a moment).
		 */
		for (int tries = 0;; tries++) {
			pid_t pid = fork();

			if (pid == 0) {
				close(lfd);
				_exit(serve_one(fd));
			}
			if (pid > 0)
				break;
			if (tries == 0)
				perror("tcpfo-stream: fork (trying again for 5 s)");
			if (tries == 500) {
				fprintf(stderr, "tcpfo-stream: fork failed for 5 s: connection dropped\n");
				break;
			}
			usleep(10000);
		}
		close(fd);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Request/response latency: COUNT messages of SIZE bytes, each echoed. */
static int client_rr(int fd, uint32_t seed, uint64_t count, uint64_t size)
{
	static unsigned char out[65536], in[65536];
	struct request req = { .magic = MAGIC, .seed = seed, .rr_size = size };
	double *lat = calloc(count, sizeof(double));
	uint64_t i;

	if (!lat || size == 0 || size > sizeof(out)) {
		fprintf(stderr, "tcpfo-stream: bad --rr-size\n");
		return 2;
	}
	if (write_full(fd, &req, sizeof(req)))
		return 1;
	for (i = 0; i < count; i++) {
		double t0 = now();

		fill(out, size, i * size, seed, 0);
		if (write_full(fd, out, size) || read_full(fd, in, size)) {
			fprintf(stderr, "tcpfo-stream: FAIL rr exchange %llu\n",
				(unsigned long long)i);
			return 1;
		}
		lat[i] = (now() - t0) * 1e6;
		if (memcmp(in, out, size)) {
			fprintf(stderr, "tcpfo-stream: FAIL rr echo %llu differs\n",
				(unsigned long long)i);
			return 1;
		}
	}
	qsort(lat, count, sizeof(double), cmp_double);
	printf("rr count=%llu size=%llu p50_us=%.0f p99_us=%.0f\n",
	       (unsigned long long)count, (unsigned long long)size,
	       lat[count / 2], lat[(count * 99) / 100]);
	free(lat);
	return 0;
}

static int client(const char *host, const char *port, const char *bind_addr,
		  uint64_t up, uint64_t down, double duration, uint32_t seed,
		  int quiet, uint64_t rr, uint64_t rr_size)
{
	struct sockaddr_storage ss, bs;
	socklen_t len, blen;
	struct request req = { .magic = MAGIC, .seed = seed, .down = down };
	struct trailer t;
	uint64_t sent, received, bad;
	double t0;
	char c;
	int fd, rc;

	if (parse_addr(host, port, &ss, &len))
		return 2;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0) {
		perror("tcpfo-stream: socket");
		return 1;
	}
	if (bind_addr) {
		if (parse_addr(bind_addr, "0", &bs, &blen))
			return 2;
		if (bind(fd, (struct sockaddr *)&bs, blen)) {
			perror("tcpfo-stream: bind");
			return 1;
		}
	}
	tune(fd);
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "tcpfo-stream: connect %s port %s: %s\n", host,
			port, strerror(errno));
		return 1;
	}
	if (rr)
		return client_rr(fd, seed, rr, rr_size);
	req.up = duration > 0 ? UNTIL_FIN : up;
	t0 = now();
	if (write_full(fd, &req, sizeof(req))) {
		perror("tcpfo-stream: request");
		return 1;
	}
	rc = pump(fd, seed, 0, req.up, t0 + duration, down, 1, &sent,
		  &received, &bad);
	if (rc) {
		fprintf(stderr, "tcpfo-stream: FAIL seed=%u sent=%llu received=%llu\n",
			seed, (unsigned long long)sent,
			(unsigned long long)received);
		return 1;
	}
	if (read_full(fd, &t, sizeof(t))) {
		fprintf(stderr, "tcpfo-stream: FAIL seed=%u: no trailer from server\n",
			seed);
		return 1;
	}
	if (read(fd, &c, 1) != 0) {
		fprintf(stderr, "tcpfo-stream: FAIL seed=%u: data after trailer\n",
			seed);
		return 1;
	}
	if (t.bad_offset != UINT64_MAX || t.received != sent) {
		fprintf(stderr,
			"tcpfo-stream: FAIL seed=%u: server received %llu of %llu, first bad offset %lld\n",
			seed, (unsigned long long)t.received,
			(unsigned long long)sent,
			t.bad_offset == UINT64_MAX ? -1LL : (long long)t.bad_offset);
		return 1;
	}
	close(fd);
	if (!quiet)
		printf("ok seed=%u up=%llu down=%llu secs=%.3f\n", seed,
		       (unsigned long long)sent, (unsigned long long)received,
		       now() - t0);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tcpfo-stream server ADDR PORT\n"
		"       tcpfo-stream client ADDR PORT [--up BYTES] [--down BYTES]\n"
		"                    [--duration SEC] [--seed N] [--bind ADDR] [--quiet]\n"
		"                    [--rr COUNT [--rr-size BYTES]] [--pause-at BYTES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t up = 0, down = 0;
	double duration = 0;
	uint32_t seed = (uint32_t)getpid();
	const char *bind_addr = NULL;
	uint64_t rr = 0, rr_size = 64;
	int quiet = 0;

	if (argc < 4)
		usage();
	if (!strcmp(argv[1], "server"))
		return server(argv[2], argv[3]);
	if (strcmp(argv[1], "client"))
		usage();
	for (int i = 4; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--up"))
			up = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--down"))
			down = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--duration"))
			duration = strtod(argv[++i], NULL);
		else if (!strcmp(a, "--seed"))
			seed = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--bind"))
			bind_addr = argv[++i];
		else if (!strcmp(a, "--rr"))
			rr = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--rr-size"))
			rr_size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--pause-at"))
			pause_at = strtoull(argv[++i], NULL, 0);
		else
			usage();
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	return client(argv[2], argv[3], bind_addr, up, down, duration, seed,
		      quiet, rr, rr_size);
}
