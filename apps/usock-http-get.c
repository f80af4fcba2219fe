/*
 * usock-http-get - an example of the usock API: fetches one http:// URL
 * over the usock stack (usock_getaddrinfo, usock_connect, usock_sendall,
 * usock_readline for the status and headers, usock_readinto for the body)
 * and writes the body to standard output.  Exits 0 on a 2xx answer with
 * the whole body, 1 otherwise.
 *
 *	USOCK_IFACE=eth0 USOCK_IPV4=192.0.2.50/24 USOCK_DNS=192.0.2.1 \
 *		usock-http-get http://example.test/index.html > index.html
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <usock.h>

/* Splits http://host[:port][/path] into its parts; 0 or -1. */
static int
parse_url(const char *url, char *host, size_t hl, char *port, size_t pl, const char **path)
{
	const char *h, *end, *colon;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	h = url + 7;
	end = strchr(h, '/');
	*path = end != NULL ? end : "/";
	if (end == NULL)
		end = h + strlen(h);
	colon = memchr(h, ':', (size_t)(end - h));
	if ((colon != NULL ? colon : end) == h || (size_t)(end - h) >= hl)
		return -1;
	snprintf(host, hl, "%.*s", (int)((colon != NULL ? colon : end) - h), h);
	snprintf(port, pl, "%.*s", colon != NULL ? (int)(end - colon - 1) : 2,
		 colon != NULL ? colon + 1 : "80");
	return 0;
}

static int
write_all(const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(1, b, n);

		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static char body[65536];
	char host[256], port[16], req[1024], line[4096];
	struct addrinfo hints, *res, *ai;
	const char *path;
	long long length = -1, got = 0;
	int s = -1, rc, status = 0;
	ssize_t n;

	if (argc != 2 || parse_url(argv[1], host, sizeof(host), port, sizeof(port), &path) != 0) {
		fprintf(stderr, "usage: usock-http-get http://HOST[:PORT]/PATH\n"
				"The stack is configured by USOCK_IFACE, USOCK_IPV4, USOCK_DNS, ... "
				"(see README).\n");
		return 2;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = usock_getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "usock-http-get: %s: %s\n", host, gai_strerror(rc));
		return 1;
	}
	/* The first address that takes the connection. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		s = usock_socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (s < 0)
			continue;
		usock_settimeout(s, 30.0);
		if (usock_connect(s, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		usock_close(s);
		s = -1;
	}
	usock_freeaddrinfo(res);
	if (s < 0) {
		fprintf(stderr, "usock-http-get: connect to %s port %s: %s\n", host, port,
			strerror(errno));
		return 1;
	}
	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: usock-http-get\r\n"
		     "Connection: close\r\n\r\n", path, host);
	if (usock_sendall(s, req, (size_t)n) != n) {
		fprintf(stderr, "usock-http-get: send: %s\n", strerror(errno));
		return 1;
	}
	/* The status line, then headers up to the empty line. */
	n = usock_readline(s, line, sizeof(line) - 1);
	if (n <= 0 || sscanf((line[n] = '\0', line), "HTTP/%*d.%*d %d", &status) != 1) {
		fprintf(stderr, "usock-http-get: no HTTP status line\n");
		return 1;
	}
	for (;;) {
		n = usock_readline(s, line, sizeof(line) - 1);
		if (n <= 0) {
			fprintf(stderr, "usock-http-get: the headers did not end\n");
			return 1;
		}
		line[n] = '\0';
		if (strcmp(line, "\r\n") == 0 || strcmp(line, "\n") == 0)
			break;
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			length = strtoll(line + 15, NULL, 10);
	}
	/* The body: Content-Length bytes, or everything until the server closes. */
	while (length < 0 || got < length) {
		size_t want = sizeof(body);

		if (length >= 0 && (long long)want > length - got)
			want = (size_t)(length - got);
		/* readinto: no short reads, so a short count means the end of the stream. */
		n = usock_readinto(s, body, want);
		if (n < 0) {
			fprintf(stderr, "usock-http-get: receive: %s\n", strerror(errno));
			return 1;
		}
		if (write_all(body, (size_t)n) != 0) {
			fprintf(stderr, "usock-http-get: stdout: %s\n", strerror(errno));
			return 1;
		}
		got += n;
		if ((size_t)n < want)
			break;
	}
	usock_close(s);
	if (length >= 0 && got != length) {
		fprintf(stderr, "usock-http-get: %lld of %lld bytes\n", got, length);
		return 1;
	}
	if (status < 200 || status > 299) {
		fprintf(stderr, "usock-http-get: HTTP status %d\n", status);
		return 1;
	}
	return 0;
}
