/* Shared by the server fuzz targets: sending raw bytes to a loopback server and reading what it
 * answers until it closes (the client half-closes first, so every server answers and closes). */
#ifndef LC_FUZZ_NET_H
#define LC_FUZZ_NET_H

#include <arpa/inet.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

static inline void fuzz_exchange(uint16_t port, const uint8_t *data, size_t size, int wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    for (size_t sent = 0; sent < size;) {
        ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    char sink[65536];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, wait_ms) > 0 && read(fd, sink, sizeof sink) > 0)
        ;
    close(fd);
}

#endif
