/* Known load for the collector tests, in C so each figure is exactly what the test asks for: no runtime
 * threads, no allocator slack. Reads "go" from stdin before working (so the test can first move it into
 * its cgroup), prints "ready" once the load is in place, and exits when stdin closes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void await_go(void) { char line[16]; if (!fgets(line, sizeof line, stdin)) _exit(2); }
static void ready(void) { printf("ready\n"); fflush(stdout); }
static void until_eof(void) { char b[64]; while (read(0, b, sizeof b) > 0) {} }

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    await_go();
    if (!strcmp(argv[1], "spin")) {
        ready();
        for (volatile unsigned long i = 0;; i++) {}
    }
    if (!strcmp(argv[1], "alloc") && argc == 3) {
        size_t n = (size_t)atol(argv[2]) << 20;
        char *p = malloc(n);
        if (!p) return 1;
        memset(p, 1, n); /* touch every page: anonymous memory, charged to the cgroup */
        ready();
        until_eof();
        return p[n - 1] == 1 ? 0 : 1;
    }
    if (!strcmp(argv[1], "vfork") && argc == 3) {
        ready();
        /* The parent waits in the kernel for the child to exec or exit: an uninterruptible (D) wait. */
        pid_t pid = vfork();
        if (pid == 0) { sleep((unsigned)atoi(argv[2])); _exit(0); }
        until_eof();
        return 0;
    }
    if (!strcmp(argv[1], "write") && argc == 4) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return 1;
        static char buf[1 << 20];
        memset(buf, 7, sizeof buf);
        for (long i = 0; i < atol(argv[3]); i++) if (write(fd, buf, sizeof buf) != sizeof buf) return 1;
        if (fsync(fd) != 0) return 1;
        close(fd);
        ready();
        until_eof();
        return 0;
    }
    if (!strcmp(argv[1], "net") && argc == 3) {
        /* A network namespace of its own (single-threaded, so unshare moves the whole process), lo up, and N MB
         * of UDP to itself over it. */
        if (unshare(CLONE_NEWNET) != 0) return 1;
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return 1;
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return 1;
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
        static char buf[8192], in[8192];
        long total = atol(argv[2]) << 20;
        for (long sent = 0; sent < total; sent += sizeof buf) {
            if (sendto(s, buf, sizeof buf, 0, (struct sockaddr *)&a, sizeof a) != sizeof buf) return 1;
            if (recv(s, in, sizeof in, 0) < 0) return 1;
        }
        ready();
        until_eof();
        return 0;
    }
    return 2;
}
