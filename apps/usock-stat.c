/*
 * usock-stat - prints the counters of running usock processes, like
 * netstat -s: every drop by its reason.  Reads /dev/shm/usock.<pid>, which
 * each process's stack keeps up to date.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/stats.h"

struct field {
	const char *name;	/* counter name */
	const char *desc;	/* what it counts */
	size_t off;		/* offset in its group */
};

#define ETH(name, desc) { #name, desc, offsetof(struct us_eth_stats, name) },
#define ARP(name, desc) { #name, desc, offsetof(struct us_arp_stats, name) },
#define IP4(name, desc) { #name, desc, offsetof(struct us_ip4_stats, name) },
#define ICMP(name, desc) { #name, desc, offsetof(struct us_icmp_stats, name) },
#define IP6(name, desc) { #name, desc, offsetof(struct us_ip6_stats, name) },
#define ICMP6(name, desc) { #name, desc, offsetof(struct us_icmp6_stats, name) },
#define ND6(name, desc) { #name, desc, offsetof(struct us_nd6_stats, name) },
#define DHCP(name, desc) { #name, desc, offsetof(struct us_dhcp_stats, name) },
#define UDP(name, desc) { #name, desc, offsetof(struct us_udp_stats, name) },
#define TCP(name, desc) { #name, desc, offsetof(struct us_tcp_stats, name) },
#define SOCK(name, desc) { #name, desc, offsetof(struct us_sock_stats, name) },
#define DRV(name, desc) { #name, desc, offsetof(struct us_drv_stats, name) },

static const struct field eth_f[] = { US_ETH_STATS(ETH) { NULL, NULL, 0 } };
static const struct field arp_f[] = { US_ARP_STATS(ARP) { NULL, NULL, 0 } };
static const struct field ip4_f[] = { US_IP4_STATS(IP4) { NULL, NULL, 0 } };
static const struct field icmp_f[] = { US_ICMP_STATS(ICMP) { NULL, NULL, 0 } };
static const struct field ip6_f[] = { US_IP6_STATS(IP6) { NULL, NULL, 0 } };
static const struct field icmp6_f[] = { US_ICMP6_STATS(ICMP6) { NULL, NULL, 0 } };
static const struct field nd6_f[] = { US_ND6_STATS(ND6) { NULL, NULL, 0 } };
static const struct field dhcp_f[] = { US_DHCP_STATS(DHCP) { NULL, NULL, 0 } };
static const struct field udp_f[] = { US_UDP_STATS(UDP) { NULL, NULL, 0 } };
static const struct field tcp_f[] = { US_TCP_STATS(TCP) { NULL, NULL, 0 } };
static const struct field sock_f[] = { US_SOCK_STATS(SOCK) { NULL, NULL, 0 } };
static const struct field drv_f[] = { US_DRV_STATS(DRV) { NULL, NULL, 0 } };

static void
group(const char *title, const struct field *f, const void *base, int all)
{
	printf("%s:\n", title);
	for (; f->name != NULL; f++) {
		uint64_t v;

		memcpy(&v, (const char *)base + f->off, sizeof(v));
		if (v != 0 || all)
			printf("    %-18s %12llu  %s\n", f->name, (unsigned long long)v, f->desc);
	}
}

static int
show(const char *path, int all, int json)
{
	struct us_stats_file *f;
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < sizeof(*f)) {
		close(fd);
		return -1;
	}
	f = mmap(NULL, sizeof(*f), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return -1;
	if (f->magic != US_STATS_MAGIC || f->version != US_STATS_VERSION ||
	    f->size != sizeof(*f)) {
		fprintf(stderr, "usock-stat: %s is from another usock version; skipped\n", path);
		munmap(f, sizeof(*f));
		return -1;
	}
	if (kill(f->pid, 0) != 0 && errno == ESRCH) {
		/* Left by a process that died without cleaning up. */
		munmap(f, sizeof(*f));
		return -1;
	}
	if (json) {
		printf("{\"pid\":%d,\"iface\":\"%s\",\"driver\":\"%s\"}\n", f->pid, f->iface,
		       f->driver);
	}
	printf("usock pid %d on %s (%s), %u.%u.%u.%u/%u, %02x:%02x:%02x:%02x:%02x:%02x\n",
	       f->pid, f->iface, f->driver, f->ip4 >> 24, (f->ip4 >> 16) & 255,
	       (f->ip4 >> 8) & 255, f->ip4 & 255, f->plen, f->mac[0], f->mac[1], f->mac[2],
	       f->mac[3], f->mac[4], f->mac[5]);
	group("Driver", drv_f, &f->s.drv, all);
	group("Ethernet", eth_f, &f->s.eth, all);
	group("Arp", arp_f, &f->s.arp, all);
	group("Ip", ip4_f, &f->s.ip4, all);
	group("Icmp", icmp_f, &f->s.icmp, all);
	group("Ip6", ip6_f, &f->s.ip6, all);
	group("Icmp6", icmp6_f, &f->s.icmp6, all);
	group("Nd6", nd6_f, &f->s.nd6, all);
	group("Dhcp", dhcp_f, &f->s.dhcp, all);
	group("Udp", udp_f, &f->s.udp, all);
	group("Tcp", tcp_f, &f->s.tcp, all);
	group("Sockets", sock_f, &f->s.sock, all);
	printf("Pool:\n    %-18s %12llu\n    %-18s %12llu\n    %-18s %12llu\n", "size",
	       (unsigned long long)f->s.pool.size, "available",
	       (unsigned long long)f->s.pool.avail, "alloc_failed",
	       (unsigned long long)f->s.pool.fail);
	munmap(f, sizeof(*f));
	return 0;
}

int
main(int argc, char **argv)
{
	int all = 0, pid = 0, shown = 0, i;
	char path[300];
	DIR *d;
	struct dirent *e;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-a") == 0) {
			all = 1;
		} else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc) {
			pid = atoi(argv[++i]);
		} else {
			printf("usage: usock-stat [-a] [-p PID]\n"
			       "  Prints the counters of running usock processes (non-zero ones;\n"
			       "  -a: all).  -p: only that process.\n");
			return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
	}
	if (pid > 0) {
		snprintf(path, sizeof(path), "/dev/shm/usock.%d", pid);
		if (show(path, all, 0) != 0) {
			fprintf(stderr, "usock-stat: no usock process %d\n", pid);
			return 1;
		}
		return 0;
	}
	d = opendir("/dev/shm");
	if (d == NULL) {
		perror("usock-stat: /dev/shm");
		return 1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "usock.", 6) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
		if (shown > 0)
			printf("\n");
		if (show(path, all, 0) == 0)
			shown++;
	}
	closedir(d);
	if (shown == 0) {
		fprintf(stderr, "usock-stat: no running usock process\n");
		return 1;
	}
	return 0;
}
