/*
 * transfer-methods: which way should the SSH layer move files, SFTP or `cat` on an exec channel?
 *
 * Moves SIZE bytes to and from the host both ways through libssh2 itself (the library the Worker
 * uses), on one session, in blocking mode, with the same buffers:
 *   exec-upload    `cat > /dev/null` on an exec channel, stdin written in 1 MiB calls
 *   sftp-upload    libssh2_sftp_write of 1 MiB buffers to /dev/null (libssh2 pipelines the
 *                  30000-byte SFTP writes of each buffer)
 *   exec-download  `head -c SIZE /dev/zero` read from an exec channel
 *   sftp-download  libssh2_sftp_read of 1 MiB buffers from a SIZE-byte file
 * Prints MB/s and this client's CPU seconds per method and round. Built and run by scripts/bench/transfer-methods.
 */
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static void die(LIBSSH2_SESSION *s, const char *what) {
    char *msg = NULL;
    if (s) libssh2_session_last_error(s, &msg, NULL, 0);
    fprintf(stderr, "transfer-methods: %s failed: %s\n", what, msg ? msg : "");
    exit(1);
}

static LIBSSH2_CHANNEL *exec(LIBSSH2_SESSION *s, const char *command) {
    LIBSSH2_CHANNEL *c = libssh2_channel_open_session(s);
    if (!c) die(s, "channel open");
    if (libssh2_channel_exec(c, command)) die(s, command);
    return c;
}

static void finish(LIBSSH2_CHANNEL *c) {
    libssh2_channel_send_eof(c);
    char sink[4096];
    while (libssh2_channel_read(c, sink, sizeof sink) > 0) {}
    libssh2_channel_wait_closed(c);
    libssh2_channel_free(c);
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: %s ADDRESS PORT USER KEY SIZE_MIB ROUNDS\n", argv[0]);
        return 2;
    }
    const char *address = argv[1], *user = argv[3], *key = argv[4];
    int port = atoi(argv[2]);
    size_t size = (size_t)atoi(argv[5]) << 20;
    int rounds = atoi(argv[6]);

    libssh2_init(0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, address, &sin.sin_addr);
    if (connect(fd, (struct sockaddr *)&sin, sizeof sin)) { perror("connect"); return 1; }
    LIBSSH2_SESSION *s = libssh2_session_init();
    libssh2_session_set_blocking(s, 1);
    if (libssh2_session_handshake(s, fd)) die(s, "handshake");
    if (libssh2_userauth_publickey_fromfile(s, user, NULL, key, "")) die(s, "authentication");
    fprintf(stderr, "cipher %s, mac %s\n", libssh2_session_methods(s, LIBSSH2_METHOD_CRYPT_CS),
            libssh2_session_methods(s, LIBSSH2_METHOD_MAC_CS));

    size_t chunk = 1 << 20;
    char *buffer = malloc(chunk);
    for (size_t i = 0; i < chunk; i++) buffer[i] = (char)(i * 2654435761u >> 13);

    char command[256];
    snprintf(command, sizeof command, "head -c %zu /dev/zero > /tmp/transfer-methods.src", size);
    finish(exec(s, command));
    LIBSSH2_SFTP *sftp = libssh2_sftp_init(s);
    if (!sftp) die(s, "sftp init");

    for (int round = 1; round <= rounds; round++) {
        /* exec upload */
        double start = now(), c0 = cpu();
        LIBSSH2_CHANNEL *c = exec(s, "cat > /dev/null");
        for (size_t sent = 0; sent < size; sent += chunk) {
            size_t off = 0;
            while (off < chunk) {
                ssize_t n = libssh2_channel_write(c, buffer + off, chunk - off);
                if (n < 0) die(s, "channel write");
                off += (size_t)n;
            }
        }
        finish(c);
        double execUp = size / (now() - start) / 1e6, execUpCPU = cpu() - c0;

        /* sftp upload */
        start = now(); c0 = cpu();
        LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open(sftp, "/dev/null", LIBSSH2_FXF_WRITE, 0644);
        if (!h) die(s, "sftp open /dev/null");
        for (size_t sent = 0; sent < size; sent += chunk) {
            size_t off = 0;
            while (off < chunk) {
                ssize_t n = libssh2_sftp_write(h, buffer + off, chunk - off);
                if (n < 0) die(s, "sftp write");
                off += (size_t)n;
            }
        }
        libssh2_sftp_close(h);
        double sftpUp = size / (now() - start) / 1e6, sftpUpCPU = cpu() - c0;

        /* exec download */
        start = now(); c0 = cpu();
        snprintf(command, sizeof command, "head -c %zu /dev/zero", size);
        c = exec(s, command);
        size_t got = 0;
        ssize_t n;
        while ((n = libssh2_channel_read(c, buffer, chunk)) > 0) got += (size_t)n;
        libssh2_channel_wait_closed(c);
        libssh2_channel_free(c);
        if (got != size) die(s, "exec download size");
        double execDown = size / (now() - start) / 1e6, execDownCPU = cpu() - c0;

        /* sftp download */
        start = now(); c0 = cpu();
        h = libssh2_sftp_open(sftp, "/tmp/transfer-methods.src", LIBSSH2_FXF_READ, 0);
        if (!h) die(s, "sftp open source");
        got = 0;
        while ((n = libssh2_sftp_read(h, buffer, chunk)) > 0) got += (size_t)n;
        libssh2_sftp_close(h);
        if (got != size) { fprintf(stderr, "sftp read: got %zu of %zu, last %zd\n", got, size, n); die(s, "sftp download size"); }
        double sftpDown = size / (now() - start) / 1e6, sftpDownCPU = cpu() - c0;

        printf("round %d: exec-upload %.0f MB/s (%.2f s CPU)  sftp-upload %.0f MB/s (%.2f s)  "
               "exec-download %.0f MB/s (%.2f s)  sftp-download %.0f MB/s (%.2f s)\n",
               round, execUp, execUpCPU, sftpUp, sftpUpCPU, execDown, execDownCPU, sftpDown, sftpDownCPU);
        fflush(stdout);
    }
    libssh2_sftp_shutdown(sftp);
    finish(exec(s, "rm -f /tmp/transfer-methods.src"));
    libssh2_session_disconnect(s, "done");
    libssh2_session_free(s);
    close(fd);
    libssh2_exit();
    return 0;
}
