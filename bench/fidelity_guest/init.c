/* /init of the fidelity bench's guest: a workload that dirties a known rate.
 *
 * Kernel command line: fill=MiB (non-zero memory to hold: zero pages cost
 * QEMU almost nothing to send), ws=MiB (writable working set, the first ws
 * MiB of the fill), rate=MiB/s (pages dirtied per second, one byte per 4 KiB
 * page, paced by the clock). Prints "ready free_kib=N" once filled, then
 * "dirty R" (MiB/s dirtied over the last second) every second on ttyS0.
 *
 * QEMU 7.2 under TCG loses dirty pages whose TLB entries stay cached after a
 * bitmap sync (fixed in QEMU 9.0, 03bfc2188f): a child that sleeps 1 ms in a
 * loop makes the vCPU switch address space, flushing the TLB, every ms.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long param(const char *cmdline, const char *key, long fallback) {
    const char *p = strstr(cmdline, key);
    return p ? atol(p + strlen(key)) : fallback;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long free_kib(void) {
    char line[256];
    long value = -1;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemFree: %ld kB", &value) == 1) break;
    fclose(f);
    return value;
}

int main(void) {
    char cmdline[1024] = "";
    mkdir("/proc", 0755);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", 0, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int tty = open("/dev/ttyS0", O_WRONLY);
    if (tty >= 0) { dup2(tty, 1); dup2(tty, 2); }
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd >= 0) { ssize_t n = read(fd, cmdline, sizeof cmdline - 1); if (n > 0) cmdline[n] = 0; close(fd); }
    long fill = param(cmdline, "fill=", 64), ws = param(cmdline, "ws=", 0);
    double rate = (double)param(cmdline, "rate=", 0);
    if (ws <= 0 || ws > fill) ws = fill;

    if (fork() == 0)
        for (;;) usleep(1000);

    size_t pages = (size_t)fill * 256, ws_pages = (size_t)ws * 256;
    unsigned char *buf = malloc(pages * 4096);
    if (!buf) { printf("no memory for fill=%ld\n", fill); for (;;) sleep(60); }
    memset(buf, 0x5a, pages * 4096);
    printf("ready free_kib=%ld fill=%ld ws=%ld rate=%.0f\n", free_kib(), fill, ws, rate);
    fflush(stdout);

    double start = now(), mark = start;
    size_t pos = 0;
    unsigned long done = 0, done_at_mark = 0;
    unsigned char stamp = 1;
    for (;;) {
        double t = now();
        unsigned long target = (unsigned long)(rate * 256.0 * (t - start));
        while (done < target) {
            buf[pos * 4096] = stamp;
            if (++pos == ws_pages) { pos = 0; stamp = stamp == 255 ? 1 : stamp + 1; }
            done++;
        }
        if (t - mark >= 1.0) {
            printf("dirty %.2f\n", (done - done_at_mark) / 256.0 / (t - mark));
            fflush(stdout);
            mark = t;
            done_at_mark = done;
        }
        usleep(2000);
    }
}
