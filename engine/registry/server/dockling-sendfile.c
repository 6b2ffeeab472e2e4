/*
 * dockling-sendfile FILE OFFSET COUNT — chapter 4's registry hands a big blob to the kernel.
 *
 * Serving a blob from Node means read(2) into a buffer, then write(2) to the socket: every byte
 * is copied into the process and out again. sendfile(2) asks the kernel to move the bytes from
 * the file's pages to the socket itself, which is how Go's registry serves blobs. Node has no
 * sendfile for sockets, so the registry starts this program with the client's socket as its
 * standard output, after it has written the response headers; when it exits, the response is
 * complete and Node carries on with the next request on that connection.
 *
 * The socket is non-blocking (Node's event loop set O_NONBLOCK on it, and the flag belongs to the
 * shared open file): when its buffer is full sendfile says EAGAIN, and poll(2) waits for room.
 * Exit status: 0 all COUNT bytes sent; 1 bad arguments or the file could not be read; 2 the
 * connection failed (the client went away).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

static long long number(const char *s, const char *what) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0) {
    fprintf(stderr, "dockling-sendfile: bad %s: %s\n", what, s);
    exit(1);
  }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: dockling-sendfile FILE OFFSET COUNT (the socket is standard output)\n");
    return 1;
  }
  off_t offset = number(argv[2], "offset");
  long long left = number(argv[3], "count");
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "dockling-sendfile: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  while (left > 0) {
    size_t chunk = left > (1 << 30) ? (size_t)1 << 30 : (size_t)left;
    ssize_t n = sendfile(STDOUT_FILENO, fd, &offset, chunk);
    if (n > 0) {
      left -= n;
      continue;
    }
    if (n == 0) {
      fprintf(stderr, "dockling-sendfile: %s ends %lld bytes early\n", argv[1], left);
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
      int r = poll(&p, 1, 60 * 1000);
      if (r < 0 && errno == EINTR) continue;
      if (r == 1 && !(p.revents & (POLLERR | POLLHUP))) continue;
      fprintf(stderr, "dockling-sendfile: the connection %s\n", p.revents ? "was closed" : "took no data for 60 s");
      return 2;
    }
    fprintf(stderr, "dockling-sendfile: sending: %s\n", strerror(errno));
    return 2;
  }
  return 0;
}
