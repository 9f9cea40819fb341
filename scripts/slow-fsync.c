/*
 * slow-fsync.c: make every fsync()/fdatasync() of one process take at least SLOW_FSYNC_MS
 * milliseconds (default 10), the flush time of a typical SD card, on a machine whose disk is
 * much faster. It is for judging the hub's group commit where the disk, not the CPU, is the
 * limit:
 *
 *   cc -O2 -shared -fPIC -o /tmp/slow-fsync.so scripts/slow-fsync.c -ldl
 *   SLOW_FSYNC_MS=10 LD_PRELOAD=/tmp/slow-fsync.so motcua bench issue
 *
 * The real flush still happens first; only the time is padded. The bench's own bare-fsync
 * probe goes through the same padding, so `fsync_p99_ms` reports the emulated disk.
 * Never use it on a production hub.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void pad_since(double start)
{
    const char *env = getenv("SLOW_FSYNC_MS");
    double target = env ? atof(env) : 10.0;
    double left = target - (now_ms() - start);
    if (left <= 0)
        return;
    struct timespec d = { (time_t)(left / 1e3), (long)((left - (double)(long)(left / 1e3) * 1e3) * 1e6) };
    while (nanosleep(&d, &d) == -1 && errno == EINTR) {
    }
}

/* Call the real flush, then pad its time; errno is the flush's. */
static int padded(const char *name, int (**real)(int), int fd)
{
    if (!*real)
        *real = (int (*)(int))dlsym(RTLD_NEXT, name);
    double start = now_ms();
    int r = (*real)(fd);
    int saved = errno;
    pad_since(start);
    errno = saved;
    return r;
}

int fsync(int fd)
{
    static int (*real)(int);
    return padded("fsync", &real, fd);
}

int fdatasync(int fd)
{
    static int (*real)(int);
    return padded("fdatasync", &real, fd);
}
