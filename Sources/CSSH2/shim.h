#ifndef CSSH2_SHIM_H
#define CSSH2_SHIM_H

#include <libssh2.h>
#include <libssh2_sftp.h>
#include <libssh2_publickey.h>

// libssh2 exposes several entry points only as C macros, which Swift does not import.
// These inline wrappers give them real symbols.

static inline LIBSSH2_CHANNEL *cssh2_channel_open_session(LIBSSH2_SESSION *session) {
    return libssh2_channel_open_session(session);
}

static inline int cssh2_channel_exec(LIBSSH2_CHANNEL *channel, const char *command) {
    return libssh2_channel_exec(channel, command);
}

static inline ssize_t cssh2_channel_read(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read(channel, buf, len);
}

static inline ssize_t cssh2_channel_read_stderr(LIBSSH2_CHANNEL *channel, char *buf, size_t len) {
    return libssh2_channel_read_stderr(channel, buf, len);
}

static inline ssize_t cssh2_channel_write(LIBSSH2_CHANNEL *channel, const char *buf, size_t len) {
    return libssh2_channel_write(channel, buf, len);
}

static inline int cssh2_userauth_publickey_fromfile(LIBSSH2_SESSION *session, const char *user,
                                                    const char *publickey, const char *privatekey,
                                                    const char *passphrase) {
    return libssh2_userauth_publickey_fromfile(session, user, publickey, privatekey, passphrase);
}

static inline int cssh2_session_handshake(LIBSSH2_SESSION *session, libssh2_socket_t sock) {
    return libssh2_session_handshake(session, sock);
}

static inline LIBSSH2_SESSION *cssh2_session_init(void) {
    return libssh2_session_init();
}

static inline int cssh2_session_disconnect(LIBSSH2_SESSION *session, const char *description) {
    return libssh2_session_disconnect(session, description);
}

static inline LIBSSH2_SFTP_HANDLE *cssh2_sftp_open(LIBSSH2_SFTP *sftp, const char *filename,
                                                   unsigned long flags, long mode) {
    return libssh2_sftp_open(sftp, filename, flags, mode);
}

static inline int cssh2_channel_send_eof(LIBSSH2_CHANNEL *channel) {
    return libssh2_channel_send_eof(channel);
}

static inline int cssh2_channel_flush(LIBSSH2_CHANNEL *channel) {
    return libssh2_channel_flush(channel);
}

static inline int cssh2_knownhost_readfile(LIBSSH2_KNOWNHOSTS *hosts, const char *filename) {
    return libssh2_knownhost_readfile(hosts, filename, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
}

// --- Session I/O accounting (used by Worker/SSH) ---------------------------------------------
// The session's event loop needs to know whether libssh2 pulled bytes off the socket during a
// round (so queued packets for other channels get looked at before sleeping in poll) and when
// the server last said anything (dead-peer detection). libssh2 has no API for either, so the
// session is created with a receive callback that counts bytes into `abstract`.

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

typedef struct cssh2_io_counter {
    uint64_t received;
} cssh2_io_counter;

static ssize_t cssh2_counting_recv(libssh2_socket_t socket, void *buffer, size_t length, int flags,
                                   void **abstract) {
    ssize_t rc = recv(socket, buffer, length, flags);
    if (rc < 0) {
        // Same convention as libssh2's own _libssh2_recv: a negated errno. EINTR is retried by the
        // caller's poll loop, so report it as "would block" rather than as a fatal socket error.
        if (errno == EINTR || errno == ENOENT) {
            return -EAGAIN;
        }
        return -errno;
    }
    if (abstract != NULL && *abstract != NULL) {
        ((cssh2_io_counter *)*abstract)->received += (uint64_t)rc;
    }
    return rc;
}

/// A session whose received bytes are counted into `counter` (which must outlive the session).
static inline LIBSSH2_SESSION *cssh2_session_init_counting(cssh2_io_counter *counter) {
    LIBSSH2_SESSION *session = libssh2_session_init_ex(NULL, NULL, NULL, counter);
    if (session != NULL) {
        libssh2_session_callback_set(session, LIBSSH2_CALLBACK_RECV, (void *)cssh2_counting_recv);
    }
    return session;
}

static inline int cssh2_session_disconnect_reason(LIBSSH2_SESSION *session, const char *description) {
    return libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, description, "");
}

static inline int cssh2_knownhost_readline(LIBSSH2_KNOWNHOSTS *hosts, const char *line, size_t len) {
    return libssh2_knownhost_readline(hosts, line, len, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
}

static inline ssize_t cssh2_channel_read_stream(LIBSSH2_CHANNEL *channel, int stream, char *buf, size_t len) {
    return libssh2_channel_read_ex(channel, stream, buf, len);
}

static inline int cssh2_channel_exec_len(LIBSSH2_CHANNEL *channel, const char *command, unsigned int len) {
    return libssh2_channel_process_startup(channel, "exec", sizeof("exec") - 1, command, len);
}

static inline LIBSSH2_CHANNEL *cssh2_channel_open_session_window(LIBSSH2_SESSION *session, unsigned int window,
                                                                 unsigned int packet) {
    return libssh2_channel_open_ex(session, "session", sizeof("session") - 1, window, packet, NULL, 0);
}

// --- GNU extensions the session thread uses (not visible to Swift without _GNU_SOURCE) --------
#ifdef __linux__
extern int pipe2(int pipefd[2], int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);

/// A non-blocking, close-on-exec pipe created atomically (no descriptor leaks into a concurrent fork).
static inline int cssh2_pipe_nonblocking(int fds[2]) {
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

/// Names the calling thread (15 characters at most), visible in /proc/self/task/*/comm.
static inline void cssh2_name_current_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

/// The kernel's id of the calling thread (its /proc/self/task entry).
static inline long cssh2_current_thread_id(void) {
    return syscall(SYS_gettid);
}
#endif

#endif
